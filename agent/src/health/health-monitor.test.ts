import { describe, expect, test } from "bun:test";
import { type AgentFrame, agentFrameSchema, healthCheckSchema, type InstanceSpec } from "@corral/api";
import { createLogger } from "@corral/lib";
import { FakeClock, settle } from "@corral/lib/testing";
import { FakeDriver } from "../../testing/fake-driver.ts";
import { Checker } from "./checker.ts";
import { HealthMonitor } from "./health-monitor.ts";
import type { HealthStatus } from "./health-state.ts";
import type { ProbeResult, ProbeTarget } from "./probe.ts";

const logger = createLogger("test");

const check = (overrides: Record<string, unknown> = {}) =>
  healthCheckSchema.parse({
    port: 80,
    interval: 1000,
    responseTimeout: 500,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    initializingTimeout: 10_000,
    ...overrides,
  });

/** A probe whose answer the test sets, counting calls and concurrent calls. */
function fakeProbe() {
  const state = { ok: true, calls: 0, inFlight: 0, maxInFlight: 0, delay: 0, targets: [] as ProbeTarget[] };
  const probe = async (target: ProbeTarget): Promise<ProbeResult> => {
    state.calls++;
    state.targets.push(target);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    if (state.delay) await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), state.delay));
    state.inFlight--;
    return state.ok ? { ok: true } : { ok: false, reason: "connection refused" };
  };
  const clock = new FakeClock();
  return { state, probe, clock };
}

describe("Checker", () => {
  test("probes every interval, reports initializing once, then every change", async () => {
    const { state, probe, clock } = fakeProbe();
    const reports: HealthStatus[] = [];
    const checker = new Checker({
      address: "10.0.0.2",
      check: check({ requestLine: "GET / HTTP/1.0" }),
      initializingTimeout: 10_000,
      probe,
      clock,
      report: (s) => reports.push(s),
    });
    checker.start();
    expect(reports).toEqual([{ state: "initializing" }]);
    await clock.advance(0);
    expect(state.calls).toBe(1);
    expect(state.targets[0]).toEqual({
      address: "10.0.0.2",
      port: 80,
      responseTimeout: 500,
      requestLine: "GET / HTTP/1.0",
    });
    await clock.advance(1000);
    expect(state.calls).toBe(2);
    expect(reports.at(-1)).toEqual({ state: "healthy" });
    state.ok = false;
    await clock.advance(3000);
    expect(reports.at(-1)).toEqual({ state: "unhealthy", reason: "connection refused" });
    state.ok = true;
    await clock.advance(2000);
    expect(reports.map((r) => r.state)).toEqual(["initializing", "healthy", "unhealthy", "healthy"]);
    checker.stop();
    expect(clock.pending).toBe(0);
  });

  test("never overlaps probes: a slow probe delays the next one", async () => {
    const { state, probe, clock } = fakeProbe();
    state.delay = 2500;
    const checker = new Checker({
      address: "10.0.0.2",
      check: check(),
      initializingTimeout: 0,
      probe,
      clock,
      report: () => {},
    });
    checker.start();
    await clock.advance(10_000);
    expect(state.maxInFlight).toBe(1);
    // Probes start at 0, 2500, 5000, 7500, 10000: back to back, not every 1000 ms.
    expect(state.calls).toBe(5);
    checker.stop();
  });

  test("times out initializing at the next tick after the deadline; no address fails every probe", async () => {
    const { state, probe, clock } = fakeProbe();
    const reports: HealthStatus[] = [];
    const checker = new Checker({
      address: undefined,
      check: check(),
      initializingTimeout: 2500,
      probe,
      clock,
      report: (s) => reports.push(s),
    });
    checker.start();
    await clock.advance(2999);
    expect(reports).toEqual([{ state: "initializing" }]);
    await clock.advance(1);
    expect(reports.at(-1)).toEqual({ state: "unhealthy", reason: "initializing timeout" });
    expect(state.calls).toBe(0);
    checker.stop();
  });
});

function spec(containerId: string, healthCheck?: ReturnType<typeof check>): InstanceSpec {
  return {
    containerId,
    projectId: "1a1",
    name: `c-${containerId}`,
    image: "corral/busybox:latest",
    environment: {},
    labels: {},
    ports: [],
    volumes: [],
    networkMode: "managed",
    tty: false,
    stdinOpen: false,
    pullPolicy: "missing",
    ...(healthCheck && { healthCheck }),
  };
}

function monitorHarness() {
  const driver = new FakeDriver();
  const frames: AgentFrame[] = [];
  const { state, probe, clock } = fakeProbe();
  const send = (frame: AgentFrame) => frames.push(agentFrameSchema.parse(frame));
  const monitor = new HealthMonitor({ driver, send, logger, probe, clock });
  const health = (containerId: string) =>
    frames.flatMap((f) =>
      f.type === "healthEvent" && f.containerId === containerId
        ? [f.reason ? `${f.healthState}: ${f.reason}` : f.healthState]
        : [],
    );
  return { driver, frames, state, clock, monitor, health };
}

describe("HealthMonitor", () => {
  test("finds running labelled containers, ignores the rest, reports their health", async () => {
    const { driver, clock, monitor, health } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    const b = await driver.create(spec("1i2"), "1h1");
    const c = await driver.create(spec("1i3", check()), "1h1");
    await driver.start(a.dockerId);
    await driver.start(b.dockerId);
    await monitor.sync();
    expect(monitor.checking).toEqual([a.dockerId]);
    await clock.advance(1000);
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
    expect(health("1i3")).toEqual([]);
    // instance.create started the third: track picks it up at once.
    await driver.start(c.dockerId);
    await monitor.track(c.dockerId);
    expect(health("1i3")).toEqual(["initializing"]);
    monitor.close();
    expect(clock.pending).toBe(0);
  });

  test("die stops checking without a report; a restart goes back to initializing with the reinitializing timeout", async () => {
    const { driver, clock, monitor, health, state } = monitorHarness();
    const a = await driver.create(spec("1i1", check({ reinitializingTimeout: 3000 })), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    await clock.advance(1000);
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
    await driver.stop(a.dockerId);
    monitor.onEngineEvent({ action: "die", containerId: "1i1", dockerId: a.dockerId });
    await settle();
    expect(monitor.checking).toEqual([]);
    const calls = state.calls;
    await clock.advance(5000);
    expect(state.calls).toBe(calls);
    state.ok = false;
    await driver.start(a.dockerId);
    monitor.onEngineEvent({ action: "start", containerId: "1i1", dockerId: a.dockerId });
    await settle();
    await clock.advance(3000);
    expect(health("1i1")).toEqual([
      "initializing",
      "healthy",
      "initializing",
      "unhealthy: initializing timeout",
    ]);
    monitor.close();
  });

  test("probes failing because the container died are not reported; its die event follows", async () => {
    const { driver, clock, monitor, health, state } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    await clock.advance(1000);
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
    // The container dies; Docker's die event has not reached the monitor yet.
    await driver.stop(a.dockerId);
    state.ok = false;
    await clock.advance(5000);
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
    expect(monitor.checking).toEqual([]);
    expect(clock.pending).toBe(0);
    monitor.onEngineEvent({ action: "die", containerId: "1i1", dockerId: a.dockerId });
    await settle();
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
  });

  test("an initializing timeout of a container that died meanwhile is not reported", async () => {
    const { driver, clock, monitor, health, state } = monitorHarness();
    state.ok = false;
    const a = await driver.create(spec("1i1", check({ initializingTimeout: 2000 })), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    await driver.stop(a.dockerId);
    await clock.advance(5000);
    expect(health("1i1")).toEqual(["initializing"]);
    expect(monitor.checking).toEqual([]);
  });

  test("a restart under the check: the old run's passes are not reported, the start event begins the new run", async () => {
    const { driver, clock, monitor, health, state } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    await clock.advance(1000);
    state.ok = false;
    await clock.advance(3000);
    // Failures of a container that still runs are its health.
    expect(health("1i1")).toEqual(["initializing", "healthy", "unhealthy: connection refused"]);
    // Docker restarts it and the new process answers before the die and start events arrive.
    await driver.restart(a.dockerId);
    state.ok = true;
    await clock.advance(3000);
    expect(health("1i1")).toEqual(["initializing", "healthy", "unhealthy: connection refused"]);
    monitor.onEngineEvent({ action: "die", containerId: "1i1", dockerId: a.dockerId });
    monitor.onEngineEvent({ action: "start", containerId: "1i1", dockerId: a.dockerId });
    await settle();
    await clock.advance(1000);
    expect(health("1i1").slice(3)).toEqual(["initializing", "healthy"]);
    monitor.close();
  });

  test("when Docker cannot say, a failing probe is the container's health", async () => {
    const { driver, clock, monitor, health, state } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    await clock.advance(1000);
    driver.checkTarget = async () => {
      throw new Error("connect ENOENT /var/run/docker.sock");
    };
    state.ok = false;
    await clock.advance(3000);
    expect(health("1i1")).toEqual(["initializing", "healthy", "unhealthy: connection refused"]);
    expect(monitor.checking).toEqual([a.dockerId]);
    monitor.close();
  });

  test("a start event for the run already checked changes nothing; destroy forgets the container", async () => {
    const { driver, clock, monitor, health } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    await monitor.track(a.dockerId);
    monitor.onEngineEvent({ action: "start", containerId: "1i1", dockerId: a.dockerId });
    await monitor.sync();
    await clock.advance(1000);
    expect(health("1i1")).toEqual(["initializing", "healthy"]);
    await driver.remove(a.dockerId);
    monitor.onEngineEvent({ action: "destroy", containerId: "1i1", dockerId: a.dockerId });
    await settle();
    expect(monitor.checking).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  test("sync drops containers that vanished while events were missed", async () => {
    const { driver, monitor } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    await monitor.sync();
    expect(monitor.checking).toEqual([a.dockerId]);
    driver.containers.delete(a.dockerId);
    await monitor.sync();
    expect(monitor.checking).toEqual([]);
  });

  test("resend repeats every current state for a new session", async () => {
    const { driver, clock, monitor, frames, health } = monitorHarness();
    for (const id of ["1i1", "1i2"]) {
      const c = await driver.create(spec(id, check()), "1h1");
      await driver.start(c.dockerId);
    }
    await monitor.sync();
    await clock.advance(1000);
    frames.length = 0;
    monitor.resend();
    expect([...health("1i1"), ...health("1i2")]).toEqual(["healthy", "healthy"]);
    monitor.close();
  });

  test("an invalid health check label is ignored", async () => {
    const { driver, monitor, frames } = monitorHarness();
    const a = await driver.create(spec("1i1", check()), "1h1");
    await driver.start(a.dockerId);
    driver.checkTarget = async () => ({
      containerId: "1i1",
      dockerId: a.dockerId,
      running: true,
      healthCheck: "{",
    });
    await monitor.track(a.dockerId);
    expect(monitor.checking).toEqual([]);
    expect(frames).toEqual([]);
  });
});
