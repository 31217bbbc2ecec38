import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc, until } from "../../testing/services.ts";
import { CrashGuard } from "./crash-guard.ts";
import { Supervisor } from "./supervisor.ts";

describe("restart runner", () => {
  test("one transient start error is retried, not failed for good", async () => {
    const engine = new FakeEngine();
    engine.failStart.set("web", 1);
    const sup = new Supervisor(engine, quiet);
    const status = await sup.reconcile([svc("web", "")], {});
    expect(status[0]).toMatchObject({ state: "backoff", restarts: 1 });
    expect(status[0]?.error).toContain("start failed: cannot start container web");
    await until(() => sup.status()[0]?.state === "running");
    expect(engine.starts("web")).toBe(1);
    expect(sup.status()[0]?.error).toBeUndefined();
    await sup.stopAll();
  });

  test("a service that fails does not fail the reconcile; the others start", async () => {
    const engine = new FakeEngine();
    engine.failCreate.add("bad");
    const sup = new Supervisor(engine, quiet);
    const status = await sup.reconcile([svc("bad", ""), svc("good", "")], {});
    expect(status.find((s) => s.name === "good")?.state).toBe("running");
    expect(status.find((s) => s.name === "bad")?.error).toContain("No such image");
    await sup.stopAll();
  });

  test("a broken wait (System Docker died under it) is retried once the engine answers", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile([svc("web", "")], {});
    engine.die();
    engine.revive();
    await until(() => engine.starts("web") === 2 && sup.status()[0]?.state === "running");
    await sup.stopAll();
  });

  test("start errors count toward the crash-loop guard like exits, and the service comes back after it", async () => {
    const engine = new FakeEngine();
    engine.failStart.set("web", 100);
    const sup = new Supervisor(engine, { ...quiet, maxRestarts: 3, cooldownMs: 100 });
    await sup.reconcile([svc("web", "")], {});
    await until(() => sup.status()[0]?.state === "crash-loop");
    expect(sup.status()[0]?.error).toMatch(/^start failed: .*; 3 failures within 60 s, next try in 0.1 s$/);
    engine.failStart.delete("web");
    await until(() => sup.status()[0]?.state === "running");
    expect(sup.status()[0]?.restarts).toBeGreaterThanOrEqual(3);
    await sup.stopAll();
  });

  test("a crash-looping one-shot leaves its dependents waiting, and they start once it completes", async () => {
    const engine = new FakeEngine();
    engine.exitOnStart.set("init", 1);
    const sup = new Supervisor(engine, { ...quiet, maxRestarts: 2, cooldownMs: 50 });
    const status = await sup.reconcile(
      [svc("init", "oneshot: true\nrestart: on-failure"), svc("app", "after: [init]")],
      {},
    );
    expect(status.find((s) => s.name === "app")).toMatchObject({ state: "waiting" });
    await until(() => sup.status()[0]?.state === "crash-loop");
    engine.exitOnStart.set("init", 0);
    await until(() => sup.status()[1]?.state === "running");
    expect(sup.status()[0]?.state).toBe("completed");
    await sup.stopAll();
  });

  test("a shutdown does not hang on a service whose image never loads", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, { ...quiet, imageReady: () => new Promise(() => {}) });
    const reconciling = sup.reconcile([svc("web", "")], {});
    await until(() => sup.status()[0]?.state === "starting");
    await sup.stopAll();
    await reconciling;
    expect(sup.status()[0]?.state).toBe("stopped");
    expect(engine.events).toEqual([]);
    expect((await sup.reconcile([svc("web", "")], {}))[0]?.state).toBe("stopped");
  });

  test("reconciles run one at a time", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    const specs = [svc("a", ""), svc("b", "after: [a]")];
    await Promise.all([sup.reconcile(specs, {}), sup.reconcile(specs, {}), sup.reconcile(specs, {})]);
    expect(engine.events).toEqual(["create a", "start a", "create b", "start b"]);
    await sup.stopAll();
  });
});

describe("crash guard", () => {
  const options = {
    backoffBaseMs: 100,
    backoffMaxMs: 100_000,
    maxRestarts: 4,
    windowMs: 1000,
    cooldownMs: 5000,
  };

  test("backoff grows, the guard trips at maxRestarts within the window, then counts afresh", () => {
    let now = 0;
    const guard = new CrashGuard({ ...options, now: () => now });
    const first = guard.failure();
    expect(first.ms).toBeLessThanOrEqual(100);
    guard.failure();
    expect(guard.failure().ms).toBeGreaterThanOrEqual(200);
    expect(guard.failure()).toEqual({ ms: 5000, crashLoop: true, recent: 4 });
    expect(guard.failure()).toMatchObject({ crashLoop: false, recent: 1 });
    now = 10_000;
    expect(guard.failure().recent).toBe(1);
  });

  test("failures older than the window are forgotten; reset starts the backoff again", () => {
    let now = 0;
    const guard = new CrashGuard({ ...options, now: () => now });
    for (let i = 0; i < 3; i++) guard.failure();
    now = 1500;
    expect(guard.failure()).toMatchObject({ crashLoop: false, recent: 1 });
    expect(guard.failure().ms).toBeGreaterThanOrEqual(800);
    guard.reset();
    expect(guard.failure().ms).toBeLessThanOrEqual(100);
  });
});
