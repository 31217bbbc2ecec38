import { describe, expect, test } from "bun:test";
import { LoginStates } from "./login-states.ts";

const login = (n: number) => ({ codeVerifier: `v${n}`, nonce: `n${n}`, redirectUri: "http://127.0.0.1/cb" });

describe("LoginStates", () => {
  test("a login is taken once", () => {
    const s = new LoginStates();
    s.put("a", login(1));
    expect(s.take("a")).toEqual(login(1));
    expect(s.take("a")).toBeUndefined();
    expect(s.take("never")).toBeUndefined();
  });

  test("a login expires", () => {
    let now = 1000;
    const s = new LoginStates({ ttlMs: 100, now: () => now });
    s.put("a", login(1));
    s.put("b", login(2));
    now = 1099;
    expect(s.take("a")).toEqual(login(1));
    now = 1100;
    expect(s.take("b")).toBeUndefined();
  });

  test("expired logins are purged and the map stays within its bound", () => {
    let now = 0;
    const s = new LoginStates({ ttlMs: 10, max: 3, now: () => now });
    for (let i = 0; i < 5; i++) s.put(`s${i}`, login(i));
    expect(s.size).toBe(3);
    expect(s.take("s0")).toBeUndefined();
    expect(s.take("s4")).toEqual(login(4));
    now = 20;
    s.put("late", login(9));
    expect(s.size).toBe(1);
  });
});
