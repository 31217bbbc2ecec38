import { describe, expect, test } from "bun:test";
import type { Entry } from "ldapts";
import { ParentCache, parentCacheTtlMs } from "./groups.ts";

describe("ParentCache", () => {
  test("keeps the parents of a set of groups for a short time only", () => {
    let now = 1_000;
    const cache = new ParentCache(() => now);
    const parents = [{ dn: "cn=staff,ou=groups,dc=x" } as Entry];
    expect(cache.get("cn=devs")).toBeUndefined();
    cache.set("cn=devs", parents);
    expect(cache.get("cn=devs")).toBe(parents);
    now += parentCacheTtlMs - 1;
    expect(cache.get("cn=devs")).toBe(parents);
    now += 1;
    expect(cache.get("cn=devs")).toBeUndefined();
  });

  test("is bounded: the oldest sets go first", () => {
    const cache = new ParentCache(() => 0);
    for (let i = 0; i < 1001; i++) cache.set(`g${i}`, []);
    expect(cache.get("g0")).toBeUndefined();
    expect(cache.get("g1000")).toEqual([]);
  });
});
