import { describe, expect, test } from "bun:test";
import { clientKey, defaultFailureLimits, FailureLimiter } from "./rate-limit.ts";

/** A limiter on a clock the test moves by hand. */
function limiter(limits = defaultFailureLimits) {
  const clock = { ms: 0 };
  return { clock, limits: new FailureLimiter(limits, () => clock.ms) };
}

describe("FailureLimiter", () => {
  test("the defaults: 20 failures at once, then one more every 200 ms", () => {
    expect(defaultFailureLimits).toEqual({ perSecond: 5, burst: 20 });
    const { clock, limits } = limiter();
    for (let i = 0; i < 20; i++) {
      expect(limits.waitSeconds("ip:a")).toBe(0);
      limits.fail("ip:a");
    }
    expect(limits.waitSeconds("ip:a")).toBe(1);
    clock.ms += 199;
    expect(limits.waitSeconds("ip:a")).toBe(1);
    clock.ms += 1;
    expect(limits.waitSeconds("ip:a")).toBe(0);
    limits.fail("ip:a");
    expect(limits.waitSeconds("ip:a")).toBe(1);
    // A full refill after 4 s: the burst is back, never more.
    clock.ms += 60_000;
    for (let i = 0; i < 20; i++) limits.fail("ip:a");
    expect(limits.waitSeconds("ip:a")).toBe(1);
  });

  test("anyWaiting is true from the first empty bucket until the last one has a token again", () => {
    const { clock, limits } = limiter({ perSecond: 1, burst: 2 });
    expect(limits.anyWaiting()).toBe(false);
    limits.fail("ip:a");
    expect(limits.anyWaiting()).toBe(false);
    limits.fail("ip:a");
    expect(limits.anyWaiting()).toBe(true);
    clock.ms += 500;
    limits.fail("ip:b");
    limits.fail("ip:b");
    clock.ms += 600;
    expect(limits.waitSeconds("ip:a")).toBe(0);
    expect(limits.anyWaiting()).toBe(true);
    clock.ms += 400;
    expect(limits.anyWaiting()).toBe(false);
  });

  test("buckets are separate, and the wait is rounded up to whole seconds", () => {
    const { clock, limits } = limiter({ perSecond: 0.25, burst: 2 });
    limits.fail("ip:a");
    limits.fail("ip:a");
    expect(limits.waitSeconds("ip:a")).toBe(4);
    expect(limits.waitSeconds("ip:b")).toBe(0);
    clock.ms += 1000;
    expect(limits.waitSeconds("ip:a")).toBe(3);
  });

  test("a flood of keys keeps at most 50,000 buckets, dropping full ones and then the oldest", () => {
    const { clock, limits } = limiter();
    for (let i = 0; i < 60_000; i++) limits.fail(`ip:${i}`);
    expect(limits.size).toBeLessThanOrEqual(50_000);
    // The newest failures are still remembered.
    for (let i = 0; i < 19; i++) limits.fail("ip:59999");
    expect(limits.waitSeconds("ip:59999")).toBe(1);
    clock.ms += 10_000;
    for (let i = 0; i < 50_001; i++) limits.fail(`ip:new-${i}`);
    expect(limits.size).toBeLessThanOrEqual(50_000);
  });
});

describe("clientKey", () => {
  test.each([
    ["127.0.0.1", "ip:127.0.0.1"],
    ["::ffff:10.1.2.3", "ip:10.1.2.3"],
    ["2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "ip:2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff::1", "ip:2001:db8:1:2::/64"],
    ["fe80::1%eth0", "ip:fe80:0:0:0::/64"],
    ["::1", "ip:0:0:0:0::/64"],
    ["", "ip:"],
    ["not:an:address::at::all", "ip:not:an:address::at::all"],
  ])("%s -> %s", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
