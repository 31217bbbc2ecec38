import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type AgentFrame, agentFrameSchema, healthCheckSchema, type InstanceSpec } from "@corral/api";
import { createLogger } from "@corral/lib";
import Docker from "dockerode";
import { type TestHost, testHost } from "../../testing/host.ts";
import { createDockerDriver } from "../dockerode-driver.ts";
import { createHealthController } from "./controller.ts";
import { HealthMonitor } from "./health-monitor.ts";

// Integration tests: the health monitor against real containers of the local dockerd.
const socket = "/var/run/docker.sock";
const haveDocker = existsSync(socket);
const run = Math.random().toString(36).slice(2, 8);
const logger = createLogger("test");
let seq = 0;

function spec(command: string[], check: Record<string, unknown>): InstanceSpec {
  const n = ++seq;
  return {
    containerId: `1i${run}${n}`.slice(0, 32),
    projectId: "1a1",
    name: `corral-health-test-${run}-${n}`,
    image: "corral/busybox:latest",
    command,
    environment: {},
    labels: { "test.run": run },
    ports: [],
    volumes: [],
    networkMode: "managed",
    tty: false,
    stdinOpen: false,
    pullPolicy: "never",
    healthCheck: healthCheckSchema.parse({
      interval: 200,
      responseTimeout: 500,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      initializingTimeout: 5000,
      ...check,
    }),
  };
}

describe.skipIf(!haveDocker)("health checks against dockerd", () => {
  const docker = new Docker({ socketPath: socket });
  const driver = createDockerDriver(socket);
  const frames: AgentFrame[] = [];
  const send = (frame: AgentFrame) => frames.push(agentFrameSchema.parse(frame));
  let host: TestHost;
  let monitor: HealthMonitor;

  /** The health states reported for a container, in order, with reasons. */
  const health = (containerId: string) =>
    frames.flatMap((f) =>
      f.type === "healthEvent" && f.containerId === containerId
        ? [f.reason ? `${f.healthState}: ${f.reason}` : f.healthState]
        : [],
    );
  // Deadlines are generous: they only bound a failing run, and the machine may be loaded.
  const until = async (containerId: string, state: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!health(containerId).at(-1)?.startsWith(state)) {
      if (Date.now() > deadline)
        throw new Error(`${containerId} never became ${state}: ${health(containerId).join(", ")}`);
      await Bun.sleep(50);
    }
  };
  /** Creates and starts a container as instance.create would, and tells the monitor. */
  const launch = async (s: InstanceSpec) => {
    const created = await driver.create(s, "1h1");
    await driver.start(created.dockerId);
    await monitor.track(created.dockerId);
    return created.dockerId;
  };

  beforeAll(() => {
    // The health controller as the agent runs it, on the real engine's events.
    host = testHost(driver);
    const controller = createHealthController({ ...host, send });
    monitor = controller.monitor;
    host.run(controller);
  });

  afterAll(async () => {
    await host?.stop();
    const ours = await docker.listContainers({ all: true, filters: { label: [`test.run=${run}`] } });
    await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  });

  test("an httpd container with an HTTP check becomes healthy", async () => {
    const s = spec(["httpd", "-f", "-p", "80", "-h", "/www"], {
      port: 80,
      requestLine: "GET /index.html HTTP/1.0",
    });
    await launch(s);
    await until(s.containerId, "healthy");
    expect(health(s.containerId)).toEqual(["initializing", "healthy"]);
  });

  test("an HTTP check of a missing page stays initializing, then times out unhealthy", async () => {
    const s = spec(["httpd", "-f", "-p", "80", "-h", "/www"], {
      port: 80,
      requestLine: 'GET "/missing.html" "HTTP/1.0"',
      initializingTimeout: 1000,
    });
    await launch(s);
    await until(s.containerId, "unhealthy");
    expect(health(s.containerId)).toEqual(["initializing", "unhealthy: initializing timeout"]);
  });

  test("a check on a closed port becomes unhealthy", async () => {
    const s = spec(["sleep", "3600"], { port: 81, initializingTimeout: 1000 });
    await launch(s);
    await until(s.containerId, "unhealthy");
    expect(health(s.containerId)).toEqual(["initializing", "unhealthy: initializing timeout"]);
  });

  test("killing httpd in a running container turns it unhealthy; a restart re-initializes it", async () => {
    const s = spec(["sh", "-c", "httpd -p 80 -h /www; sleep 3600"], {
      port: 80,
      requestLine: "GET /index.html HTTP/1.0",
    });
    const dockerId = await launch(s);
    await until(s.containerId, "healthy");
    const exec = await docker.getContainer(dockerId).exec({ Cmd: ["killall", "httpd"] });
    await exec.start({});
    await until(s.containerId, "unhealthy");
    expect(health(s.containerId)).toEqual(["initializing", "healthy", "unhealthy: connection refused"]);
    // The start event of the restart begins a new run of the check.
    await driver.restart(dockerId, 0);
    await until(s.containerId, "healthy");
    expect(health(s.containerId).slice(3)).toEqual(["initializing", "healthy"]);
  });

  test("a TCP check passes on a listening nc", async () => {
    // busybox nc has no -k: -ll with -e keeps listening after each connection.
    const s = spec(["nc", "-ll", "-p", "9000", "-e", "/bin/true"], { port: 9000 });
    await launch(s);
    await until(s.containerId, "healthy");
    expect(health(s.containerId)).toEqual(["initializing", "healthy"]);
  });

  test("a stopped container is no longer checked and reports nothing more", async () => {
    const s = spec(["nc", "-ll", "-p", "9000", "-e", "/bin/true"], { port: 9000 });
    const dockerId = await launch(s);
    await until(s.containerId, "healthy");
    await driver.stop(dockerId, 0);
    // Once the monitor stopped checking it (its die event, or a probe that found it dead), nothing
    // more can be reported for this run: the failed probes of its death never were.
    const deadline = Date.now() + 30_000;
    while (monitor.checking.includes(dockerId) && Date.now() < deadline) await Bun.sleep(20);
    expect(monitor.checking).not.toContain(dockerId);
    expect(health(s.containerId)).toEqual(["initializing", "healthy"]);
  });

  test("a fresh monitor finds checked containers from their labels", async () => {
    const found: AgentFrame[] = [];
    const fresh = new HealthMonitor({
      driver: createDockerDriver(socket),
      send: (f) => found.push(f),
      logger,
    });
    await fresh.sync();
    const ours = (await docker.listContainers({ filters: { label: [`test.run=${run}`] } })).map((c) => c.Id);
    expect(fresh.checking.sort()).toEqual(ours.sort());
    fresh.close();
  });
});
