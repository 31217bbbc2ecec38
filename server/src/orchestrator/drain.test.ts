import { afterEach, describe, expect, test } from "bun:test";
import { formatId, type LbStatus } from "@corral/api";
import { BalancerViews } from "../network/balancer-views.ts";
import type { Dispatcher } from "../services/context.ts";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { awaitDrain, drainTimings, startDrain } from "./drain.ts";

const project = "1a1";
const defaults = { ...drainTimings };

afterEach(() => {
  Object.assign(drainTimings, defaults);
});

function setup() {
  const store = new Store(openDatabase(":memory:"));
  const views = new BalancerViews();
  const connected = new Set(["1h1", "1h2"]);
  const dispatcher: Dispatcher = {
    dispatch: () => Promise.reject(new Error("no events in this test")),
    isConnected: (hostId) => connected.has(hostId),
    balancers: views,
  };
  const balancer = (hostId: string, state = "running") =>
    formatId(
      "container",
      store.insert("container", {
        projectId: project,
        state,
        data: { hostId, serviceId: "1s9", labels: { "io.corral.lb": "true" } },
      }).id,
    );
  const report = (hostId: string, entries: [string, number | undefined][]): void => {
    const status: LbStatus = entries.map(([containerId, viewVersion]) => ({
      containerId,
      serviceId: "1s9",
      configId: "c",
      error: null,
      warnings: [],
      ...(viewVersion !== undefined && { viewVersion }),
    }));
    views.report(hostId, status);
  };
  return { store, views, connected, dispatcher, balancer, report };
}

/** Tracks whether a promise has settled, to look at it while it still runs. */
function track(p: Promise<void>) {
  const state = { done: false, promise: p };
  p.then(() => {
    state.done = true;
  });
  return state;
}

/** Lets timers and the event loop run for a while (the drain must still be waiting afterwards). */
const idle = (ms: number) => Bun.sleep(ms);

describe("drain", () => {
  test("without load balancers it waits drainMs, no more", async () => {
    Object.assign(drainTimings, { drainMs: 20, afterBalancersMs: 0, balancersMaxMs: 600_000 });
    const { store, dispatcher } = setup();
    const start = startDrain(dispatcher, [project]);
    await awaitDrain(store, dispatcher, start);
    expect(Date.now() - start.startedAt).toBeGreaterThanOrEqual(19);
  });

  test("waits until every balancer serves a view sent after the containers left, however long", async () => {
    Object.assign(drainTimings, { drainMs: 1, afterBalancersMs: 0, balancersMaxMs: 600_000 });
    const { store, views, dispatcher, balancer, report } = setup();
    const a = balancer("1h1");
    const b = balancer("1h2");
    views.sent("1h1", 100);
    views.sent("1h2", 100);
    report("1h1", [[a, 100]]);
    report("1h2", [[b, 100]]);
    const drain = track(awaitDrain(store, dispatcher, startDrain(dispatcher, [project])));
    await idle(50);
    expect(drain.done).toBe(false);
    // The view the hosts had before does not count, even reported again.
    report("1h1", [[a, 100]]);
    views.sent("1h1", 101);
    views.sent("1h2", 101);
    report("1h1", [[a, 101]]);
    await idle(50);
    expect(drain.done).toBe(false);
    report("1h2", [[b, 101]]);
    await drain.promise;
  });

  test("a balancer that confirmed late still gets afterBalancersMs for what is in flight", async () => {
    Object.assign(drainTimings, { drainMs: 1, afterBalancersMs: 100, balancersMaxMs: 600_000 });
    const { store, views, dispatcher, balancer, report } = setup();
    const a = balancer("1h1");
    views.sent("1h1", 5);
    const drain = track(awaitDrain(store, dispatcher, startDrain(dispatcher, [project])));
    await idle(20);
    views.sent("1h1", 6);
    report("1h1", [[a, 6]]);
    const confirmed = Date.now();
    await drain.promise;
    expect(Date.now() - confirmed).toBeGreaterThanOrEqual(95);
  });

  test("balancers that stopped, run on disconnected hosts or in other projects are not waited for", async () => {
    Object.assign(drainTimings, { drainMs: 1, afterBalancersMs: 0, balancersMaxMs: 600_000 });
    const { store, dispatcher, connected, balancer } = setup();
    balancer("1h1", "stopped");
    balancer("1h3");
    store.insert("container", {
      projectId: "1a2",
      state: "running",
      data: { hostId: "1h1", serviceId: "1s8", labels: { "io.corral.lb": "true" } },
    });
    // Not a balancer: no label.
    store.insert("container", { projectId: project, state: "running", data: { hostId: "1h1", labels: {} } });
    balancer("1h2");
    const drain = track(awaitDrain(store, dispatcher, startDrain(dispatcher, [project])));
    await idle(50);
    expect(drain.done).toBe(false);
    // Its host went away: nobody can confirm for it, and nothing is sent from there either.
    connected.delete("1h2");
    await drain.promise;
  });

  test("an agent that does not report view versions is not waited for", async () => {
    Object.assign(drainTimings, { drainMs: 1, afterBalancersMs: 0, balancersMaxMs: 600_000 });
    const { store, views, dispatcher, balancer, report } = setup();
    const a = balancer("1h1");
    views.sent("1h1", 5);
    report("1h1", [[a, undefined]]);
    await awaitDrain(store, dispatcher, startDrain(dispatcher, [project]));
  });

  test("a balancer that never confirms is waited for balancersMaxMs, then the drain ends", async () => {
    Object.assign(drainTimings, { drainMs: 1, afterBalancersMs: 0, balancersMaxMs: 150 });
    const { store, dispatcher, balancer } = setup();
    balancer("1h1");
    const start = startDrain(dispatcher, [project]);
    await awaitDrain(store, dispatcher, start);
    expect(Date.now() - start.startedAt).toBeGreaterThanOrEqual(145);
  });

  test("a dispatcher without balancer views drains for drainMs only", async () => {
    Object.assign(drainTimings, { drainMs: 20, afterBalancersMs: 0, balancersMaxMs: 600_000 });
    const { store, balancer } = setup();
    balancer("1h1");
    const bare: Dispatcher = {
      dispatch: () => Promise.reject(new Error("no events")),
      isConnected: () => true,
    };
    await awaitDrain(store, bare, startDrain(bare, [project]));
  });
});
