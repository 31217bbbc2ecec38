import { describe, expect, test } from "bun:test";
import { HealthStateMachine } from "./health-state.ts";

const thresholds = { healthyThreshold: 2, unhealthyThreshold: 3 };

describe("HealthStateMachine", () => {
  test("starts initializing and becomes healthy after healthyThreshold passes in a row", () => {
    const m = new HealthStateMachine(thresholds, 0, 10_000);
    expect(m.current).toEqual({ state: "initializing" });
    expect(m.record(true, 1)).toBeNull();
    expect(m.record(false, 2, "refused")).toBeNull();
    expect(m.record(true, 3)).toBeNull();
    expect(m.record(true, 4)).toEqual({ state: "healthy" });
    expect(m.record(true, 5)).toBeNull();
  });

  test("failures while initializing do not make it unhealthy before the timeout", () => {
    const m = new HealthStateMachine(thresholds, 0, 10_000);
    for (let t = 1; t < 10; t++) expect(m.record(false, t * 1000, "refused")).toBeNull();
    expect(m.current.state).toBe("initializing");
    expect(m.record(false, 10_000, "refused")).toEqual({
      state: "unhealthy",
      reason: "initializing timeout",
    });
  });

  test("the initializing timeout is noticed by expire alone, once", () => {
    const m = new HealthStateMachine(thresholds, 1000, 500);
    expect(m.expire(1499)).toBeNull();
    expect(m.expire(1500)).toEqual({ state: "unhealthy", reason: "initializing timeout" });
    expect(m.expire(9999)).toBeNull();
  });

  test("an initializing timeout of 0 waits forever", () => {
    const m = new HealthStateMachine(thresholds, 0, 0);
    expect(m.expire(Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(m.record(false, 1e12)).toBeNull();
    expect(m.current.state).toBe("initializing");
  });

  test("healthy turns unhealthy after unhealthyThreshold failures in a row, with the last reason", () => {
    const m = new HealthStateMachine(thresholds, 0, 0);
    m.record(true, 1);
    m.record(true, 2);
    expect(m.record(false, 3, "a")).toBeNull();
    expect(m.record(false, 4, "b")).toBeNull();
    // A pass in between starts the count over.
    expect(m.record(true, 5)).toBeNull();
    expect(m.record(false, 6, "c")).toBeNull();
    expect(m.record(false, 7, "d")).toBeNull();
    expect(m.record(false, 8, "HTTP 500")).toEqual({ state: "unhealthy", reason: "HTTP 500" });
    expect(m.record(false, 9, "HTTP 500")).toBeNull();
    expect(m.current).toEqual({ state: "unhealthy", reason: "HTTP 500" });
  });

  test("unhealthy recovers after healthyThreshold passes, also after an initializing timeout", () => {
    const m = new HealthStateMachine({ healthyThreshold: 3, unhealthyThreshold: 1 }, 0, 100);
    expect(m.expire(100)?.state).toBe("unhealthy");
    expect(m.record(true, 101)).toBeNull();
    expect(m.record(true, 102)).toBeNull();
    expect(m.record(true, 103)).toEqual({ state: "healthy" });
    expect(m.record(false, 104)).toEqual({ state: "unhealthy" });
    expect(m.record(true, 105)).toBeNull();
    expect(m.record(false, 106)).toBeNull();
    expect(m.current.state).toBe("unhealthy");
  });

  test("thresholds of 1 flip on every result", () => {
    const m = new HealthStateMachine({ healthyThreshold: 1, unhealthyThreshold: 1 }, 0, 0);
    expect(m.record(true, 1)?.state).toBe("healthy");
    expect(m.record(false, 2)?.state).toBe("unhealthy");
    expect(m.record(true, 3)?.state).toBe("healthy");
  });
});
