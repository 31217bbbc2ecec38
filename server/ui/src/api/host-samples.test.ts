import { expect, test } from "bun:test";
import { byteUnit, type HostSample, mergeSamples, nextStatsUrl } from "./host-samples.ts";

const s = (at: number): HostSample => ({
  at,
  cpuLoad: at / 10,
  memoryUsed: at,
  memoryTotal: 100,
  diskUsed: at,
  diskTotal: 100,
});

test("the first read takes the whole history, later ones only what came after the newest held", () => {
  expect(nextStatsUrl("/v2-beta/projects/1a5/hosts/1h1/stats", [])).toBe(
    "/v2-beta/projects/1a5/hosts/1h1/stats",
  );
  expect(nextStatsUrl("/h/stats", [s(1), s(2000.5)])).toBe("/h/stats?since=2000");
  expect(nextStatsUrl("/h/stats?x=1", [s(7)])).toBe("/h/stats?x=1&since=7");
});

test("merging adds only newer samples and keeps at most `keep`, dropping the oldest", () => {
  const held = [s(1), s(2), s(3)];
  expect(mergeSamples(held, [s(2), s(3), s(4)], 10).map((x) => x.at)).toEqual([1, 2, 3, 4]);
  expect(mergeSamples(held, [s(3)], 10)).toBe(held);
  expect(mergeSamples(held, [s(4), s(5)], 3).map((x) => x.at)).toEqual([3, 4, 5]);
  expect(mergeSamples([], [s(1), s(2), s(3)], 2).map((x) => x.at)).toEqual([2, 3]);
  expect(mergeSamples([], [s(1)], 0).map((x) => x.at)).toEqual([1]);
});

test("byte units follow the largest value", () => {
  expect(byteUnit(512).name).toBe("B");
  expect(byteUnit(1024).name).toBe("KiB");
  expect(byteUnit(16 * 1024 ** 3)).toEqual({ name: "GiB", size: 1024 ** 3 });
  expect(byteUnit(2 * 1024 ** 4).name).toBe("TiB");
});
