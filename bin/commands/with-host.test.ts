/**
 * The user commands with a host joined: the real agent code in process with its in-memory Docker
 * driver, so containers get created, started and logged. `up` follows the services to running,
 * `ps -a` shows the containers, `logs` prefixes their lines, `scale` and `rm` wait for the change.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent } from "@corral/agent";
import { defaultRegistrationToken, type RunningServer } from "@corral/server";
// The agent package's own test double: an in-memory Docker engine.
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import { main as logs } from "./logs.ts";
import { main as ps } from "./ps.ts";
import { main as rm } from "./rm.ts";
import { main as scale } from "./scale.ts";
import { captureIo, folder, testServer } from "./test-io.ts";
import { main as up } from "./up.ts";

let server: RunningServer;
let env: Record<string, string>;
const driver = new FakeDriver();
const stop = new AbortController();
let agent: Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ server, env } = testServer());
  agent = runAgent({
    url: server.url,
    token: defaultRegistrationToken(server.store)!,
    stateDir: join(mkdtempSync(join(tmpdir(), "corral-cli-agent-")), "state"),
    driver,
    signal: stop.signal,
  });
  // Wait for the host to be active before deploying.
  const auth = `Basic ${btoa(`${env.CORRAL_ACCESS_KEY}:${env.CORRAL_SECRET_KEY}`)}`;
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${server.url}/v2-beta/projects/1a2/hosts`, { headers: { authorization: auth } });
    const hosts = ((await res.json()) as { data: { agentState?: string }[] }).data;
    if (hosts.some((h) => h.agentState === "active")) break;
    await Bun.sleep(50);
  }
  dir = folder("site", {
    "docker-compose.yml": "version: '2'\nservices:\n  web:\n    image: corral/busybox\n",
    "rancher-compose.yml": "version: '2'\nservices:\n  web:\n    scale: 2\n",
  });
});

afterAll(async () => {
  stop.abort();
  await agent.catch(() => undefined);
  await server.stop();
});

describe("with a host", () => {
  test("up follows the service until its containers run", async () => {
    const io = captureIo(env, dir);
    const code = await up(["--timeout", "30"], io);
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/web: 2\/2 running, (healthy|started-once)\n/);
    expect(io.stdout).toEndWith("stack site is up\n");
  }, 40_000);

  test("ps -a lists the containers with their host and IP", async () => {
    const io = captureIo(env, dir);
    expect(await ps(["-a"], io)).toBe(0);
    expect(io.stdout).toMatch(/web\s+active\s+2\/2/);
    const rows = io.stdout.split("\n").filter((l) => /^site-web-\d/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/^site-web-\d\s+running\s+\S+\s+\d+\.\d+\.\d+\.\d+/);
  });

  test("logs prints every container's lines prefixed with its name", async () => {
    for (const c of driver.containers.values()) c.log = `hello from ${c.observation.name}\nsecond line\n`;
    const io = captureIo(env, dir);
    const code = await logs(["web"], io);
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    const lines = io.stdout.trimEnd().split("\n").sort();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^site-web-1 \| hello from site-web-1$/);
    expect(lines).toContain("site-web-1 | second line");
  });

  test("logs -f streams until interrupted", async () => {
    const controller = new AbortController();
    const io = { ...captureIo(env, dir), signal: controller.signal };
    const captured = captureIo(env, dir);
    io.out = captured.out;
    const running = logs(["-f", "--lines", "5", "web"], io);
    for (let i = 0; i < 100 && !captured.stdout.includes("second line"); i++) await Bun.sleep(20);
    controller.abort();
    expect(await running).toBe(0);
    expect(captured.stdout).toContain("| second line");
  });

  test("up fails with the reason when a service's containers keep failing", async () => {
    const bad = folder("broken", {
      "docker-compose.yml": "version: '2'\nservices:\n  app:\n    image: missing/thing\n",
    });
    const io = captureIo(env, bad);
    expect(await up(["--timeout", "30"], io)).toBe(1);
    expect(io.stderr).toMatch(
      /^corral up: app: containers keep failing \(\d+ failed\): pull access denied for missing\/thing\n$/,
    );
    expect(await rm(["-d", "broken"], captureIo(env, bad))).toBe(0);
  }, 40_000);

  test("scale waits for the new containers; rm waits until the stack is gone", async () => {
    const io = captureIo(env, dir);
    expect(await scale(["--timeout", "30", "web=3"], io)).toBe(0);
    expect(io.stdout).toContain("web: 3/3 running");
    const gone = captureIo(env, dir);
    expect(await rm(["--timeout", "30", "site"], gone)).toBe(0);
    expect(gone.stdout).toContain("removed stack site");
    const running = [...driver.containers.values()].filter((c) => c.observation.state === "running");
    expect(running).toHaveLength(0);
  }, 40_000);
});
