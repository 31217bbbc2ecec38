import { expect, test } from "bun:test";
import { hostStatusSchema } from "@corral/api";
import { HostStatus } from "./host-status.ts";

test("the record keeps one entry per controller, and its snapshot is a copy that fits the ping schema", () => {
  const record = new HostStatus();
  record.set("network", { state: "ready", lastReconcile: "2026-01-01T00:00:00.000Z", failures: 0 });
  record.set("ports", { state: "failing", message: "boom", lastReconcile: null, failures: 2 });
  record.set("ports", { state: "ready", message: "3 ports", lastReconcile: null, failures: 0 });
  const snapshot = record.snapshot();
  expect(snapshot).toEqual({
    network: { state: "ready", lastReconcile: "2026-01-01T00:00:00.000Z", failures: 0 },
    ports: { state: "ready", message: "3 ports", lastReconcile: null, failures: 0 },
  });
  snapshot.ports!.failures = 9;
  expect(record.get("ports")?.failures).toBe(0);
  expect(record.get("dns")).toBeUndefined();
  expect(hostStatusSchema.parse(record.snapshot())).toEqual(record.snapshot());
});
