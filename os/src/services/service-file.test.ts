import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadServiceDir, parseServiceFile } from "./service-file.ts";

const example = readFileSync(join(import.meta.dir, "example-service.yml"), "utf8");

describe("service.yml", () => {
  test("the example parses with every key", () => {
    const spec = parseServiceFile("agent", example, "example-service.yml");
    expect(spec.name).toBe("agent");
    expect(spec.after).toEqual(["user-docker"]);
    expect(spec.enabled).toBe("corral.agent.url");
    expect(spec.restart).toBe("always");
    expect(spec.health).toEqual({
      command: ["corral", "version"],
      interval: 30_000,
      timeout: 5_000,
      retries: 3,
      start_period: 60_000,
      start_interval: 1_000,
    });
  });

  test("defaults: host net, restart always, oneshot restart no", () => {
    expect(parseServiceFile("a", "image: x", "f").net).toBe("host");
    expect(parseServiceFile("a", "image: x", "f").restart).toBe("always");
    expect(parseServiceFile("a", "image: x\noneshot: true", "f").restart).toBe("no");
    expect(parseServiceFile("a", "image: x\ncreate_only: true", "f").restart).toBe("no");
  });

  test("unknown keys are reported at their line and column", () => {
    expect(() => parseServiceFile("a", "image: x\n  \nprivilegd: true\n", "s.yml")).toThrow(
      "s.yml:3:1: unknown key 'privilegd'",
    );
  });

  test("bad values are reported at the value", () => {
    expect(() => parseServiceFile("a", "image: x\nnet: bridged\n", "s.yml")).toThrow(/s\.yml:2:6: net: /);
    expect(() => parseServiceFile("a", "image: x\nafter: [Bad Name]\n", "s.yml")).toThrow(
      /s\.yml:2:9: after\.0/,
    );
    expect(() => parseServiceFile("a", "command: x\n", "s.yml")).toThrow(/s\.yml:1:1: image/);
  });

  test("contradictions and syntax errors", () => {
    expect(() => parseServiceFile("a", "image: x\noneshot: true\nrestart: always", "s.yml")).toThrow(
      /s\.yml:3:10: restart: a oneshot/,
    );
    expect(() => parseServiceFile("a", "image: [x\n", "s.yml")).toThrow(/^s\.yml:\d+:\d+: /);
    expect(() => parseServiceFile("a", "image: x\nimage: y\n", "s.yml")).toThrow(/s\.yml:2:1: /);
    expect(() => parseServiceFile("Bad", "image: x", "s.yml")).toThrow(/folder name/);
    expect(() => parseServiceFile("a", "image: x\nenabled: server.enabled", "s.yml")).toThrow(/config path/);
  });

  test("health: one probe, durations, at their positions", () => {
    const bad = (yaml: string) => () => parseServiceFile("a", `image: x\n${yaml}`, "s.yml");
    expect(bad("health: {}\n")).toThrow("s.yml:2:9: health: a health check needs command, socket or http");
    expect(bad("health:\n  command: x\n  socket: /s\n")).toThrow(
      "s.yml:3:12: health.command: command is a probe",
    );
    expect(bad("health:\n  socket: /s\n  http: http://a/\n")).toThrow(
      "s.yml:4:9: health.http: with socket, http is a path like /_ping",
    );
    expect(bad("health:\n  http: /ping\n")).toThrow("s.yml:3:9: health.http: expected a URL");
    expect(bad("health:\n  socket: run/s\n")).toThrow(
      "s.yml:3:11: health.socket: a socket is an absolute path",
    );
    expect(bad("health:\n  socket: /s\n  interval: soon\n")).toThrow(
      "s.yml:4:13: health.interval: expected a duration like 500ms, 10s or 1m30s",
    );
    expect(bad("health:\n  socket: /s\n  retries: 0\n")).toThrow(/s\.yml:4:12: health\.retries/);
    expect(bad("health:\n  socket: /s\n  tst: x\n")).toThrow("s.yml:4:3: health: unknown key 'tst'");
    expect(bad("oneshot: true\nhealth:\n  socket: /s\n")).toThrow(
      "s.yml:4:3: health: a oneshot or create_only",
    );
  });

  test("every shipped service.yml parses; User Docker declares its readiness", () => {
    const dir = join(import.meta.dir, "../../../system-services");
    const specs = loadServiceDir(dir);
    expect(specs.length).toBeGreaterThanOrEqual(8);
    expect(specs.find((s) => s.name === "user-docker")?.health).toMatchObject({
      socket: "/var/run/docker.sock",
      http: "/_ping",
    });
  });
});
