import { describe, expect, test } from "bun:test";
import type { LbStatus } from "@corral/api";
import { BalancerViews } from "./balancer-views.ts";

const entry = (containerId: string, viewVersion?: number | null): LbStatus[number] => ({
  containerId,
  serviceId: "1s9",
  configId: "abc",
  error: null,
  warnings: [],
  ...(viewVersion !== undefined && { viewVersion }),
});

describe("balancer views", () => {
  test("a balancer has passed a mark once it serves a view newer than its host was sent at the mark", () => {
    const views = new BalancerViews();
    views.sent("1h1", 10);
    views.report("1h1", [entry("1i1", 10)]);
    const mark = views.mark();
    // The view the host already had does not count: it was built before the change.
    expect(views.passed(mark, "1h1", "1i1")).toBe(false);
    views.sent("1h1", 11);
    expect(views.passed(mark, "1h1", "1i1")).toBe(false);
    views.report("1h1", [entry("1i1", 11)]);
    expect(views.passed(mark, "1h1", "1i1")).toBe(true);
    // A later mark needs a later view again.
    expect(views.passed(views.mark(), "1h1", "1i1")).toBe(false);
  });

  test("unreported balancers have not passed; agents that do not report versions are not waited for", () => {
    const views = new BalancerViews();
    const mark = views.mark();
    expect(views.passed(mark, "1h1", "1i1")).toBe(false);
    views.report("1h1", [entry("1i2")]);
    expect(views.passed(mark, "1h1", "1i1")).toBe(false);
    expect(views.passed(mark, "1h1", "1i2")).toBe(true);
  });

  test("a report replaces the host's previous one and speaks only for its own host", () => {
    const views = new BalancerViews();
    views.sent("1h1", 5);
    views.sent("1h2", 5);
    const mark = views.mark();
    views.report("1h1", [entry("1i1", 6), entry("1i9", 6)]);
    expect(views.passed(mark, "1h2", "1i9")).toBe(false);
    views.report("1h1", [entry("1i1", 6)]);
    expect(views.passed(mark, "1h1", "1i9")).toBe(false);
    expect(views.passed(mark, "1h1", "1i1")).toBe(true);
    // A frame without a load balancer report (older agent, no balancers) changes nothing.
    views.report("1h1", undefined);
    expect(views.passed(mark, "1h1", "1i1")).toBe(true);
  });

  test("the mark keeps the versions of its instant; sent versions never go back", () => {
    const views = new BalancerViews();
    views.sent("1h1", 7);
    const mark = views.mark();
    views.sent("1h1", 9);
    views.sent("1h1", 8);
    views.report("1h1", [entry("1i1", 8)]);
    expect(views.passed(mark, "1h1", "1i1")).toBe(true);
    expect(views.passed(views.mark(), "1h1", "1i1")).toBe(false);
  });

  test("next() resolves at the next report, or at its timeout when none comes", async () => {
    const views = new BalancerViews();
    let woken = false;
    const waiting = views.next(60_000).then(() => {
      woken = true;
    });
    await Promise.resolve();
    expect(woken).toBe(false);
    views.report("1h1", [entry("1i1", 1)]);
    await waiting;
    expect(woken).toBe(true);
    await views.next(1);
  });
});
