import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc, until } from "../../testing/services.ts";
import type { HealthProbe } from "./health-check.ts";
import { describeStatus } from "./service-status.ts";
import { Supervisor } from "./supervisor.ts";

/** A probe the test answers: healthy while `up` holds. */
function switchProbe() {
  const state = { up: false, probes: 0 };
  const probe: HealthProbe = async () => {
    state.probes++;
    if (!state.up) throw new Error("no answer");
  };
  return { state, probe };
}

const fast = "  start_interval: 5ms\n  interval: 5ms\n";

describe("health checks", () => {
  test("after: waits until a health check passes, not only until started", async () => {
    const engine = new FakeEngine();
    engine.execResults.set("db", 1);
    const ready: string[] = [];
    const sup = new Supervisor(engine, { ...quiet, onReady: (n) => ready.push(n) });
    const done = sup.reconcile(
      [svc("db", `health:\n  command: [check, db]\n${fast}`), svc("app", "after: [db]")],
      {},
    );
    await until(() => engine.execs.length >= 2);
    expect(engine.starts("app")).toBe(0);
    expect(sup.status()[0]).toMatchObject({ state: "starting", health: "starting" });
    expect(sup.status()[0]?.error).toBe("health check: check exited with code 1: not yet");
    expect(sup.status()[1]).toMatchObject({ state: "waiting", error: "needs db, not ready yet" });
    expect(ready).toEqual([]);
    engine.execResults.set("db", 0);
    const status = await done;
    expect(engine.starts("app")).toBe(1);
    expect(engine.execs[0]).toBe("db: check db");
    expect(status.map(describeStatus)).toEqual(["running, healthy", "running"]);
    expect(ready).toEqual(["db", "app"]);
    await sup.stopAll();
  });

  test("never healthy: reported unhealthy after start_period and retries, dependents start when it passes", async () => {
    const engine = new FakeEngine();
    const { state, probe } = switchProbe();
    const sup = new Supervisor(engine, { ...quiet, probe });
    const status = await sup.reconcile(
      [
        svc("db", `health:\n  socket: /run/db.sock\n  start_period: 20ms\n  retries: 2\n${fast}`),
        svc("app", "after: [db]"),
      ],
      {},
    );
    expect(describeStatus(status[0]!)).toBe("starting, unhealthy: health check: no answer");
    expect(status[1]?.state).toBe("waiting");
    expect(state.probes).toBeGreaterThanOrEqual(2);
    state.up = true;
    await until(() => sup.status()[1]?.state === "running");
    expect(sup.status()[0]).toMatchObject({ state: "running", health: "healthy" });
    expect(engine.starts("db")).toBe(1);
    await sup.stopAll();
  });

  test("a healthy service that stops answering is reported, not restarted, and recovers", async () => {
    const engine = new FakeEngine();
    const { state, probe } = switchProbe();
    state.up = true;
    const sup = new Supervisor(engine, { ...quiet, probe });
    await sup.reconcile([svc("db", `health:\n  http: http://127.0.0.1:1/ping\n  retries: 3\n${fast}`)], {});
    expect(sup.status()[0]?.health).toBe("healthy");
    state.up = false;
    const before = state.probes;
    await until(() => sup.status()[0]?.health === "unhealthy");
    expect(state.probes - before).toBeGreaterThanOrEqual(3);
    expect(sup.status()[0]?.state).toBe("running");
    state.up = true;
    await until(() => sup.status()[0]?.health === "healthy");
    expect(sup.status()[0]?.error).toBeUndefined();
    expect(engine.starts("db")).toBe(1);
    await sup.stopAll();
  });

  test("a restart starts over: health is starting again until the next pass", async () => {
    const engine = new FakeEngine();
    const { state, probe } = switchProbe();
    state.up = true;
    const ready: string[] = [];
    const sup = new Supervisor(engine, { ...quiet, probe, onReady: (n) => ready.push(n) });
    await sup.reconcile([svc("db", `health:\n  socket: /run/db.sock\n${fast}`)], {});
    state.up = false;
    engine.crash("db", 1);
    await until(() => engine.starts("db") === 2 && sup.status()[0]?.health === "starting");
    state.up = true;
    await until(() => sup.status()[0]?.health === "healthy");
    expect(ready).toEqual(["db"]);
    await sup.stopAll();
  });

  test("a changed health check restarts the service with the new one", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile([svc("db", `health:\n  command: [a]\n${fast}`)], {});
    await sup.reconcile([svc("db", `health:\n  command: [b]\n${fast}`)], {});
    expect(engine.events).toEqual(["create db", "start db", "stop db", "remove db", "create db", "start db"]);
    expect(engine.execs.at(-1)).toBe("db: b");
    await sup.stopAll();
  });
});
