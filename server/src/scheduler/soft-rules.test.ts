/**
 * Checks the scoring shortcut against a model of Cattle's loop (AbstractAllocator.doAllocate):
 * run all constraints over the candidates; if none passes, take the failed set of the candidate
 * failing the fewest hard, then fewest soft constraints, drop one soft constraint from it, retry.
 */
import { describe, expect, test } from "bun:test";
import { host } from "../../testing/scheduler-fixtures.ts";
import { type AffinityRule, parseAffinityLabels } from "./affinity.ts";
import { Scheduler } from "./scheduler.ts";
import type { SchedHost } from "./types.ts";

function holds(h: SchedHost, r: AffinityRule): boolean {
  const [k, v] = r.term.split("=") as [string, string];
  return (h.labels[k] === v) !== r.negate;
}

/** Cattle's retry loop; the soft constraint dropped from a failed set is picked by `pick`. */
function cattle(hosts: SchedHost[], rules: AffinityRule[], pick: (n: number) => number): SchedHost | null {
  const live = [...rules.filter((r) => r.hard), ...rules.filter((r) => !r.hard)];
  for (;;) {
    const failedSets: AffinityRule[][] = [];
    for (const h of hosts) {
      const failed = live.filter((r) => !holds(h, r));
      if (failed.length === 0) return h;
      failedSets.push(failed);
    }
    const count = (s: AffinityRule[]) =>
      [s.filter((r) => r.hard).length, s.filter((r) => !r.hard).length] as const;
    const weakest = [...failedSets].sort((a, b) => count(a)[0] - count(b)[0] || count(a)[1] - count(b)[1])[0];
    const soft = (weakest ?? []).filter((r) => !r.hard);
    if (soft.length === 0) return null;
    live.splice(live.indexOf(soft[pick(soft.length)]!), 1);
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("soft rules: scoring equals Cattle's drop-one-by-one", () => {
  const A = "io.rancher.scheduler.affinity:";
  const keys = ["disk", "zone", "rack", "gpu"];
  const vals = ["a", "b", "c"];
  test("500 random scenarios", () => {
    const rand = rng(42);
    const one = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let n = 0; n < 500; n++) {
      const hosts = Array.from({ length: 2 + Math.floor(rand() * 6) }, (_, i) =>
        host(`h${i}`, Object.fromEntries(keys.filter(() => rand() < 0.7).map((k) => [k, one(vals)]))),
      );
      const labels: Record<string, string> = {};
      for (const suffix of ["", "_ne", "_soft", "_soft_ne"]) {
        const terms = keys
          .filter(() => rand() < (suffix.includes("soft") ? 0.6 : 0.15))
          .map((k) => `${k}=${one(vals)}`);
        if (terms.length > 0) labels[`${A}host_label${suffix}`] = terms.join(",");
      }
      const rules = parseAffinityLabels(labels);
      const ours = new Scheduler(hosts).place({ name: "c", labels, ports: [] });
      const score = (h: SchedHost) => rules.filter((r) => !r.hard && holds(h, r)).length;
      // Cattle drops an arbitrary soft constraint (a HashSet's order); try several orders.
      for (const pick of [() => 0, (m: number) => m - 1, (m: number) => Math.floor(rand() * m)]) {
        const theirs = cattle(hosts, rules, pick);
        expect(ours.hostId === null).toBe(theirs === null);
        if (theirs && ours.hostId) {
          expect(score(hosts.find((h) => h.id === ours.hostId)!)).toBe(score(theirs));
        }
      }
    }
  });
});
