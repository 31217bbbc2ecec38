import { describe, expect, test } from "bun:test";
import type { HostFacts } from "@corral/api";
import { defaultHostSamples, diskOf, HostStatsHistory } from "./host-stats.ts";

function facts(n: number, disks: HostFacts["disks"] = [{ mount: "/", size: 1000, used: n }]): HostFacts {
  return {
    hostname: "h",
    kernel: "6.1",
    os: "Debian",
    arch: "x64",
    cpuCount: 2,
    cpuModel: "cpu",
    cpuLoad: n / 10,
    memoryTotal: 8 * 1024 ** 3,
    memoryUsed: 1024 ** 3 + n,
    disks,
    dockerVersion: "24",
    ipAddresses: [],
  };
}

describe("HostStatsHistory", () => {
  test("keeps samples oldest first with the reported values, exactly", () => {
    const h = new HostStatsHistory(10);
    h.record("1h1", facts(1), 1000);
    h.record("1h1", facts(2), 2000);
    expect(h.samples("1h1")).toEqual({
      disk: "/",
      samples: [
        {
          at: 1000,
          cpuLoad: 0.1,
          memoryUsed: 1024 ** 3 + 1,
          memoryTotal: 8 * 1024 ** 3,
          diskUsed: 1,
          diskTotal: 1000,
        },
        {
          at: 2000,
          cpuLoad: 0.2,
          memoryUsed: 1024 ** 3 + 2,
          memoryTotal: 8 * 1024 ** 3,
          diskUsed: 2,
          diskTotal: 1000,
        },
      ],
    });
  });

  test("holds at most its capacity per host, dropping the oldest, across growth and wrapping", () => {
    for (const capacity of [1, 5, 16, 17, 40, defaultHostSamples]) {
      const h = new HostStatsHistory(capacity);
      for (let i = 1; i <= capacity * 2 + 3; i++) {
        h.record("1h1", facts(i), i);
        const got = h.samples("1h1").samples.map((s) => s.at);
        const from = Math.max(1, i - capacity + 1);
        expect(got).toEqual(Array.from({ length: i - from + 1 }, (_, k) => from + k));
      }
    }
  });

  test("since answers only later samples; hosts are kept apart", () => {
    const h = new HostStatsHistory(8);
    for (let i = 1; i <= 12; i++) h.record("1h1", facts(i), i * 100);
    h.record("1h2", facts(99), 150);
    expect(h.samples("1h1", 1000).samples.map((s) => s.at)).toEqual([1100, 1200]);
    expect(h.samples("1h1", 1200).samples).toEqual([]);
    expect(h.samples("1h1", 0).samples.length).toBe(8);
    expect(h.samples("1h2").samples.map((s) => s.diskUsed)).toEqual([99]);
    expect(h.samples("1h9")).toEqual({ disk: null, samples: [] });
  });

  test("a dropped host's history is gone; a later report starts a new one", () => {
    const h = new HostStatsHistory(4);
    h.record("1h1", facts(1), 1);
    h.record("1h2", facts(1), 1);
    h.drop("1h1");
    expect(h.hostCount).toBe(1);
    expect(h.samples("1h1").samples).toEqual([]);
    h.record("1h1", facts(5), 5);
    expect(h.samples("1h1").samples.map((s) => s.at)).toEqual([5]);
  });

  test("a bad capacity is refused", () => {
    expect(() => new HostStatsHistory(0)).toThrow();
    expect(() => new HostStatsHistory(1.5)).toThrow();
  });
});

describe("diskOf", () => {
  test("follows the root filesystem, else the largest disk, else none", () => {
    const root = { mount: "/", size: 10, used: 1 };
    const big = { mount: "/data", size: 100, used: 2 };
    expect(diskOf([big, root])).toBe(root);
    expect(diskOf([{ mount: "/boot", size: 5, used: 1 }, big])).toBe(big);
    expect(diskOf([])).toBeNull();
  });
});
