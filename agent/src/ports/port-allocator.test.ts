import { describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { PortAllocator, type PortRequest } from "./port-allocator.ts";

const range = { start: 49153, end: 65535 };
const logger = createLogger("test");

function req(containerId: string, privatePort: number, publicPort = 0, extra: Partial<PortRequest> = {}) {
  return {
    containerId,
    containerIp: "10.42.1.2",
    privatePort,
    publicPort,
    protocol: "tcp",
    ...extra,
  } as PortRequest;
}

describe("PortAllocator", () => {
  test("keeps explicit ports and picks random ones inside the range", () => {
    const allocator = new PortAllocator(logger);
    const out = allocator.assign([req("a", 80, 18080), req("b", 80)], range);
    expect(out[0]!.publicPort).toBe(18080);
    expect(out[1]!.publicPort).toBeGreaterThanOrEqual(range.start);
    expect(out[1]!.publicPort).toBeLessThanOrEqual(range.end);
  });

  test("a random port stays with its container across passes and is forgotten when it goes", () => {
    let n = 0;
    const allocator = new PortAllocator(logger, () => [0.1, 0.9, 0.5][n++ % 3]!);
    const first = allocator.assign([req("a", 80)], range)[0]!.publicPort;
    expect(allocator.assign([req("b", 81), req("a", 80)], range)[1]!.publicPort).toBe(first);
    allocator.assign([req("b", 81)], range);
    expect(allocator.assign([req("a", 80)], range)[0]!.publicPort).not.toBe(first);
  });

  test("a clash keeps the first publication and refuses the second", () => {
    const allocator = new PortAllocator(logger);
    const out = allocator.assign([req("a", 80, 8080), req("b", 81, 8080)], range);
    expect(out.map((o) => o.containerId)).toEqual(["a"]);
  });

  test("different addresses or protocols on one port do not clash; no address clashes with any", () => {
    const allocator = new PortAllocator(logger);
    const out = allocator.assign(
      [
        req("a", 80, 8080, { bindIp: "10.0.0.1" }),
        req("b", 80, 8080, { bindIp: "10.0.0.2" }),
        req("c", 53, 8080, { protocol: "udp" }),
        req("d", 80, 8080),
      ],
      range,
    );
    expect(out.map((o) => o.containerId)).toEqual(["a", "b", "c"]);
  });

  test("random picks avoid explicit ports and each other, and a full range refuses", () => {
    const allocator = new PortAllocator(logger, () => 0);
    const small = { start: 50000, end: 50002 };
    const out = allocator.assign([req("a", 1), req("b", 2), req("c", 3, 50000), req("d", 4)], small);
    expect(out.map((o) => `${o.containerId}:${o.publicPort}`).sort()).toEqual([
      "a:50001",
      "b:50002",
      "c:50000",
    ]);
  });
});
