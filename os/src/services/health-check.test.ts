// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${corral.x} is the service.yml substitution syntax under test
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { svc } from "../../testing/services.ts";
import { type HealthCheck, healthCheckOf, realProbe } from "./health-check.ts";
import { parseDuration } from "./health-schema.ts";

const dir = mkdtempSync(join(tmpdir(), "corral-health-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const timing = { interval: 1000, timeout: 2000, retries: 3, start_period: 0, start_interval: 100 };
const probe = realProbe(new FakeEngine());
const run = (check: HealthCheck) => probe("svc", check, new AbortController().signal);

describe("health check of a service.yml", () => {
  test("durations, defaults and config values", () => {
    expect([
      parseDuration("250ms"),
      parseDuration("1m30s"),
      parseDuration("1.5s"),
      parseDuration("5"),
    ]).toEqual([250, 90_000, 1500, undefined]);
    const config = { corral: { server: { port: 9090 } } };
    expect(
      healthCheckOf(svc("a", "health:\n  http: http://127.0.0.1:${corral.server.port}/ping"), config),
    ).toEqual({
      kind: "http",
      url: "http://127.0.0.1:9090/ping",
      interval: 10_000,
      timeout: 5_000,
      retries: 3,
      start_period: 60_000,
      start_interval: 500,
    });
    expect(
      healthCheckOf(svc("a", "health:\n  socket: /run/d.sock\n  http: /_ping\n  interval: 2s"), {}),
    ).toMatchObject({
      kind: "http",
      url: "http://localhost/_ping",
      socket: "/run/d.sock",
      interval: 2000,
    });
    expect(healthCheckOf(svc("a", "health:\n  command: test -f /x"), {})).toMatchObject({
      kind: "command",
      command: ["test", "-f", "/x"],
    });
    expect(healthCheckOf(svc("a", ""), {})).toBeUndefined();
  });
});

describe("real probes", () => {
  test("socket: healthy once it accepts a connection", async () => {
    const path = join(dir, "plain.sock");
    await expect(run({ kind: "socket", socket: path, ...timing })).rejects.toThrow(/ENOENT|No such file/);
    const listener = Bun.listen({ unix: path, socket: { data() {} } });
    await run({ kind: "socket", socket: path, ...timing });
    listener.stop(true);
  });

  test("http over a unix socket, as Docker's /_ping is asked", async () => {
    const path = join(dir, "api.sock");
    const server = Bun.serve({
      unix: path,
      fetch: (req) => new Response("OK", { status: new URL(req.url).pathname === "/_ping" ? 200 : 500 }),
    });
    await run({ kind: "http", url: "http://localhost/_ping", socket: path, ...timing });
    await expect(run({ kind: "http", url: "http://localhost/bad", socket: path, ...timing })).rejects.toThrow(
      `GET ${path} /bad answered 500`,
    );
    server.stop(true);
  });

  test("http URL on loopback; a redirect is an answer; a hang is cut at the timeout", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname === "/hang" ? new Promise<Response>(() => {}) : Response.redirect("/", 302),
    });
    const base = `http://127.0.0.1:${server.port}`;
    await run({ kind: "http", url: `${base}/ping`, ...timing });
    await expect(run({ kind: "http", url: `${base}/hang`, ...timing, timeout: 100 })).rejects.toThrow();
    server.stop(true);
  });

  test("command runs in the service's container; a non-zero exit says why", async () => {
    const engine = new FakeEngine();
    await engine.create({ name: "svc", Image: "x" });
    await engine.start("svc");
    const inEngine = realProbe(engine);
    const check: HealthCheck = { kind: "command", command: ["docker", "info"], ...timing };
    await inEngine("svc", check, new AbortController().signal);
    engine.execResults.set("svc", 2);
    await expect(inEngine("svc", check, new AbortController().signal)).rejects.toThrow(
      "docker exited with code 2: not yet",
    );
    expect(engine.execs).toEqual(["svc: docker info", "svc: docker info"]);
  });
});
