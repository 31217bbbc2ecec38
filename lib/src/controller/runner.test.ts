import { describe, expect, test } from "bun:test";
import { FakeClock, settle } from "../../testing/fake-clock.ts";
import { createLogger } from "../logger.ts";
import type { Controller, ReconcileResult } from "./controller.ts";
import { HostStatus } from "./host-status.ts";
import { startController, startControllers } from "./runner.ts";

const logger = createLogger("test");

/**
 * A controller whose reconciles the test drives: each one waits until the test ends it (`finish`,
 * `fail`) unless `auto` answers at once. One input, whose kick the test holds.
 */
function harness(extra: Partial<Controller> = {}) {
  const calls = { started: 0, running: 0, most: 0, closed: 0, watching: 0 };
  let ends: ((outcome: ReconcileResult | Error) => void)[] = [];
  let auto: ReconcileResult | Error | null = null;
  let kickInput: () => void = () => {};
  const controller: Controller = {
    name: "thing",
    inputs: [
      {
        name: "test input",
        watch(kick) {
          calls.watching++;
          kickInput = kick;
          return () => {
            calls.watching--;
          };
        },
      },
    ],
    async reconcile() {
      calls.started++;
      calls.running++;
      calls.most = Math.max(calls.most, calls.running);
      const outcome = auto ?? (await new Promise<ReconcileResult | Error>((resolve) => ends.push(resolve)));
      calls.running--;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    close() {
      calls.closed++;
    },
    ...extra,
  };
  const clock = new FakeClock();
  const status = new HostStatus();
  const abort = new AbortController();
  const handle = startController(controller, {
    logger,
    signal: abort.signal,
    status,
    clock,
    random: () => 1,
  });
  /** Ends the reconcile in flight. */
  const end = async (outcome: ReconcileResult | Error = {}) => {
    const pending = ends;
    ends = [];
    expect(pending).toHaveLength(1);
    pending[0]!(outcome);
    await settle();
  };
  return {
    calls,
    clock,
    status,
    abort,
    handle,
    end,
    kickInput: () => kickInput(),
    answer(outcome: ReconcileResult | Error | null) {
      auto = outcome;
    },
    get inFlight() {
      return ends.length;
    },
  };
}

describe("controller runner", () => {
  test("reconciles once at start and records waiting, then the outcome", async () => {
    const h = harness();
    expect(h.status.get("thing")).toEqual({
      state: "waiting",
      message: "not reconciled yet",
      lastReconcile: null,
      failures: 0,
    });
    await h.clock.advance(0);
    expect(h.calls.started).toBe(1);
    await h.clock.advance(1_000);
    await h.end({ state: "degraded", message: "one config refused" });
    expect(h.status.get("thing")).toEqual({
      state: "degraded",
      message: "one config refused",
      lastReconcile: new Date(1_000).toISOString(),
      failures: 0,
    });
    // No interval: nothing runs until an input kicks.
    await h.clock.advance(60_000);
    expect(h.calls.started).toBe(1);
    h.kickInput();
    await h.clock.advance(0);
    expect(h.calls.started).toBe(2);
    await h.end();
    expect(h.status.get("thing")?.state).toBe("ready");
    h.abort.abort();
    await h.handle.stopped;
  });

  test("kicks in one burst make one reconcile; kicks during one coalesce into exactly one more", async () => {
    const h = harness();
    h.kickInput();
    h.kickInput();
    await h.clock.advance(0);
    expect(h.calls.started).toBe(1);
    for (let i = 0; i < 5; i++) h.kickInput();
    await h.clock.advance(100);
    // Still the first one: reconciles never overlap.
    expect(h.calls.started).toBe(1);
    await h.end();
    await h.clock.advance(0);
    expect(h.calls.started).toBe(2);
    await h.end();
    await h.clock.advance(10_000);
    expect(h.calls.started).toBe(2);
    expect(h.calls.most).toBe(1);
    h.abort.abort();
    await h.handle.stopped;
  });

  test("a failing reconcile is retried with exponential backoff up to the cap, then recovers", async () => {
    const h = harness({ retry: { baseMs: 100, maxMs: 400 } });
    h.answer(new Error("iptables-restore: line 3 failed"));
    await h.clock.advance(0);
    expect(h.calls.started).toBe(1);
    expect(h.status.get("thing")).toEqual({
      state: "failing",
      message: "iptables-restore: line 3 failed",
      lastReconcile: new Date(0).toISOString(),
      failures: 1,
    });
    // With the jitter at its top, the delays are exactly 100, 200, 400, 400.
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = h.calls.started;
      while (h.calls.started === before) await h.clock.advance(1);
      starts.push(h.clock.now());
    }
    expect(starts).toEqual([100, 300, 700, 1100]);
    expect(h.status.get("thing")?.failures).toBe(5);
    h.answer({ message: "3 ports published" });
    await h.clock.advance(400);
    expect(h.status.get("thing")).toEqual({
      state: "ready",
      message: "3 ports published",
      lastReconcile: new Date(1500).toISOString(),
      failures: 0,
    });
    // After a success the backoff starts over from its base.
    h.answer(new Error("again"));
    h.kickInput();
    await h.clock.advance(0);
    const before = h.calls.started;
    await h.clock.advance(99);
    expect(h.calls.started).toBe(before);
    await h.clock.advance(1);
    expect(h.calls.started).toBe(before + 1);
    h.abort.abort();
    await h.handle.stopped;
  });

  test("a controller that throws before any await is restarted the same way", async () => {
    let calls = 0;
    const clock = new FakeClock();
    const status = new HostStatus();
    const abort = new AbortController();
    const handle = startController(
      {
        name: "sync-throw",
        inputs: [],
        retry: { baseMs: 50, maxMs: 50 },
        reconcile: (() => {
          calls++;
          if (calls < 3) throw new TypeError("not a function");
          return Promise.resolve({});
        }) as Controller["reconcile"],
      },
      { logger, signal: abort.signal, status, clock, random: () => 1 },
    );
    await clock.advance(0);
    expect(status.get("sync-throw")).toMatchObject({ state: "failing", failures: 1 });
    await clock.advance(100);
    expect(calls).toBe(3);
    expect(status.get("sync-throw")).toMatchObject({ state: "ready", failures: 0 });
    abort.abort();
    await handle.stopped;
  });

  test("a kick does not wait out a retry delay", async () => {
    const h = harness({ retry: { baseMs: 5_000, maxMs: 5_000 } });
    h.answer(new Error("docker is restarting"));
    await h.clock.advance(0);
    expect(h.calls.started).toBe(1);
    h.kickInput();
    await h.clock.advance(0);
    expect(h.calls.started).toBe(2);
    h.abort.abort();
    await h.handle.stopped;
  });

  test("with an interval it reconciles again that long after the last one ended", async () => {
    const h = harness({ intervalMs: 1_000 });
    h.answer({});
    await h.clock.advance(0);
    await h.clock.advance(999);
    expect(h.calls.started).toBe(1);
    await h.clock.advance(1);
    expect(h.calls.started).toBe(2);
    // A kick restarts the wait: the next timed reconcile comes 1 s after the kicked one.
    await h.clock.advance(500);
    h.kickInput();
    await h.clock.advance(0);
    expect(h.calls.started).toBe(3);
    await h.clock.advance(999);
    expect(h.calls.started).toBe(3);
    await h.clock.advance(1);
    expect(h.calls.started).toBe(4);
    h.abort.abort();
    await h.handle.stopped;
  });

  test("sync resolves after a reconcile that started after it, not the one in flight", async () => {
    const h = harness();
    await h.clock.advance(0);
    let synced = false;
    const sync = h.handle.sync().then(() => {
      synced = true;
    });
    await h.end();
    expect(synced).toBe(false);
    await h.clock.advance(0);
    expect(h.calls.started).toBe(2);
    await h.end(new Error("refused"));
    await sync;
    expect(synced).toBe(true);
    h.abort.abort();
    await h.handle.stopped;
  });

  test("stopping waits for the reconcile in flight, unwatches, closes, and runs nothing more", async () => {
    const h = harness({ intervalMs: 100 });
    await h.clock.advance(0);
    expect(h.calls.watching).toBe(1);
    let done = false;
    void h.handle.stopped.then(() => {
      done = true;
    });
    h.abort.abort();
    await settle();
    expect(done).toBe(false);
    await h.end(new Error("aborted"));
    await h.handle.stopped;
    expect(h.calls).toMatchObject({ started: 1, closed: 1, watching: 0 });
    // A reconcile cut short by the stop is no failure.
    expect(h.status.get("thing")).toMatchObject({ state: "stopped", failures: 0 });
    h.kickInput();
    await h.clock.advance(10_000);
    expect(h.calls.started).toBe(1);
    expect(h.clock.pending).toBe(0);
    await h.handle.sync();
  });

  test("a controller started with an aborted signal never reconciles", async () => {
    const abort = new AbortController();
    abort.abort();
    const status = new HostStatus();
    let calls = 0;
    const handle = startController(
      {
        name: "late",
        inputs: [],
        reconcile: async () => {
          calls++;
          return {};
        },
      },
      { logger, signal: abort.signal, status, clock: new FakeClock() },
    );
    await handle.stopped;
    expect(calls).toBe(0);
    expect(status.get("late")?.state).toBe("stopped");
  });

  test("startControllers runs each under its own name and refuses two of one name", async () => {
    const abort = new AbortController();
    const status = new HostStatus();
    const clock = new FakeClock();
    const make = (name: string): Controller => ({
      name,
      inputs: [],
      reconcile: async () => ({ message: name }),
    });
    expect(() =>
      startControllers([make("dns"), make("dns")], { logger, signal: abort.signal, status, clock }),
    ).toThrow(/two controllers are named dns/);
    const set = startControllers([make("dns"), make("metadata")], {
      logger,
      signal: abort.signal,
      status,
      clock,
    });
    await clock.advance(0);
    expect(Object.keys(status.snapshot()).sort()).toEqual(["dns", "metadata"]);
    expect(status.snapshot().metadata).toMatchObject({ state: "ready", message: "metadata" });
    expect(set.get("dns")?.name).toBe("dns");
    abort.abort();
    await set.stopped;
    expect(status.snapshot().dns?.state).toBe("stopped");
  });
});
