import { describe, expect, test } from "bun:test";
import { service } from "../../testing/lb-fixtures.ts";
import { matchesSelector, parseSelector, ruleServices } from "./targets.ts";

describe("label selectors", () => {
  test("parses =, !=, in, notin and bare keys", () => {
    expect(parseSelector("a=1, b != 2, c in (x, y), d notin (z), e")).toEqual([
      { key: "a", op: "=", values: ["1"] },
      { key: "b", op: "!=", values: ["2"] },
      { key: "c", op: "in", values: ["x", "y"] },
      { key: "d", op: "notin", values: ["z"] },
      { key: "e", op: "exists", values: [] },
    ]);
  });

  test("matches every term; an empty selector matches nothing", () => {
    const labels = { a: "1", c: "y", e: "" };
    expect(matchesSelector("a=1,c in (x,y),e,b!=2,d notin (z)", labels)).toBe(true);
    expect(matchesSelector("a=2", labels)).toBe(false);
    expect(matchesSelector("missing", labels)).toBe(false);
    expect(matchesSelector(" ", labels)).toBe(false);
  });

  test("a rule never targets its own load balancer", () => {
    const lb = service("1s9", "lb", { labels: { app: "x" } });
    const app = service("1s1", "app", { labels: { app: "x" } });
    expect(ruleServices({ selector: "app=x" }, [lb, app], "1s9").map((s) => s.id)).toEqual(["1s1"]);
    expect(ruleServices({ serviceId: "1s9" }, [lb, app], "1s9")).toEqual([]);
  });
});
