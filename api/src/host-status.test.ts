import { expect, test } from "bun:test";
import { hostStatusSchema } from "./host-status.ts";
import { agentFrameSchema } from "./protocol.ts";

const ok = { state: "ready", lastReconcile: null, failures: 0 };

test("a ping may carry the host status record, or leave it out", () => {
  const ping = { type: "ping", seq: 1, containers: [] };
  expect(agentFrameSchema.safeParse(ping).success).toBe(true);
  const withStatus = {
    ...ping,
    controllers: { network: ok, "load-balancer": { ...ok, message: "2 configs" } },
  };
  expect(agentFrameSchema.parse(withStatus)).toEqual(withStatus as never);
});

test("garbage in the record is refused with the path of what is wrong", () => {
  const bad: [unknown, string][] = [
    [{ network: { ...ok, state: "exploded" } }, "network.state"],
    [{ network: { ...ok, failures: -1 } }, "network.failures"],
    [{ network: { ...ok, failures: 1.5 } }, "network.failures"],
    [{ network: { ...ok, extra: true } }, "network"],
    [{ network: { ...ok, message: "x".repeat(1025) } }, "network.message"],
    [{ network: { state: "ready", failures: 0 } }, "network.lastReconcile"],
    [{ "Not A Name": ok }, "Not A Name"],
    [{ "": ok }, ""],
    [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, ok])), ""],
    [[ok], ""],
    ["ready", ""],
  ];
  for (const [value, path] of bad) {
    const result = hostStatusSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join(".")).toBe(path);
  }
});
