import { describe, expect, test } from "bun:test";
import { LoginLimiter } from "./login-limiter.ts";

describe("LoginLimiter", () => {
  test("5 failures pass, then the wait doubles with each failure past them, up to 15 minutes", () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter(undefined, () => now);
    for (let i = 0; i < 4; i++) {
      limiter.fail("login:alice");
      expect(limiter.waitSeconds("login:alice")).toBe(0);
    }
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      limiter.fail("login:alice");
      const wait = limiter.waitSeconds("login:alice");
      waits.push(wait);
      now += wait * 1000;
      expect(limiter.waitSeconds("login:alice")).toBe(0);
    }
    expect(waits).toEqual([12, 24, 48, 96, 192, 384, 768, 900, 900]);
    expect(limiter.waitSeconds("login:bob")).toBe(0);
  });

  test("a success starts the doubling over", () => {
    let now = 0;
    const limiter = new LoginLimiter({ perSecond: 1, burst: 1 }, () => now);
    limiter.fail("k");
    now += limiter.waitSeconds("k") * 1000;
    limiter.fail("k");
    expect(limiter.waitSeconds("k")).toBe(2);
    now += 2000;
    limiter.succeed("k");
    now += 10_000;
    limiter.fail("k");
    expect(limiter.waitSeconds("k")).toBe(1);
  });
});

test("a key quiet for 15 minutes after its wait is forgiven its strikes", () => {
  let now = 0;
  const limiter = new LoginLimiter({ perSecond: 1, burst: 1 }, () => now);
  limiter.fail("k");
  now += limiter.waitSeconds("k") * 1000;
  limiter.fail("k");
  expect(limiter.waitSeconds("k")).toBe(2);
  now += 2000 + 15 * 60_000;
  limiter.fail("k");
  expect(limiter.waitSeconds("k")).toBe(1);
});
