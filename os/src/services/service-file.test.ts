import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseServiceFile } from "./service-file.ts";

const example = readFileSync(join(import.meta.dir, "example-service.yml"), "utf8");

describe("service.yml", () => {
  test("the example parses with every key", () => {
    const spec = parseServiceFile("agent", example, "example-service.yml");
    expect(spec.name).toBe("agent");
    expect(spec.after).toEqual(["user-docker"]);
    expect(spec.enabled).toBe("corral.agent.url");
    expect(spec.restart).toBe("always");
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
});
