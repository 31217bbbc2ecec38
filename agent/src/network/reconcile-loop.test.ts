import { describe, expect, test } from "bun:test";
import type { HostState } from "@corral/api";
import { createLogger, sleep } from "@corral/lib";
import { hostStateFor } from "../../testing/ports-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { startReconcileLoop } from "./reconcile-loop.ts";

describe("startReconcileLoop", () => {
  test("waits for the first view, then passes on each view, each kick and the timer; retries failures", async () => {
    const bus = new HostStateBus();
    const abort = new AbortController();
    const seen: number[] = [];
    let failOnce = true;
    const loop = startReconcileLoop({
      bus,
      logger: createLogger("test"),
      signal: abort.signal,
      intervalMs: 200,
      pass: async (state: HostState) => {
        seen.push(state.version);
        if (state.version === 3 && failOnce) {
          failOnce = false;
          throw new Error("boom");
        }
      },
    });
    await sleep(300);
    expect(seen).toEqual([]);
    bus.publish(hostStateFor([]));
    await sleep(20);
    expect(seen).toEqual([1]);
    loop.kick();
    await sleep(20);
    expect(seen).toEqual([1, 1]);
    await sleep(250);
    expect(seen.length).toBe(3);
    bus.publish({ ...hostStateFor([]), version: 3 });
    await sleep(1_200);
    // The failed pass was tried again before the regular interval would have.
    expect(seen.filter((v) => v === 3).length).toBeGreaterThanOrEqual(2);
    abort.abort();
    await loop.stopped;
    const count = seen.length;
    await sleep(250);
    expect(seen.length).toBe(count);
  });
});
