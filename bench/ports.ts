/**
 * Benchmark: applying 1,000 published ports to the real iptables.
 *
 * - Measured: `PortsController.pass()` (agent/src/ports) for a host state of 1,000 running managed
 *   containers each publishing one TCP port (4,000+ rules: DNAT in PREROUTING and OUTPUT, hairpin
 *   MASQUERADE, FORWARD accept), through the real iptables-save / iptables-restore of this machine,
 *   on a chain prefix of its own (`CB<random>`), so Docker's and a real agent's chains are never
 *   touched. Three kinds of pass: "cold" (no chains yet), "change" (every public port moved, so every
 *   rule is rewritten) and "no-op" (nothing changed: two iptables-save and a comparison).
 * - Baseline, same run: the same rules (taken from iptables-save after a controller pass) written by
 *   hand into one iptables-restore input for both tables and applied with a single
 *   `iptables-restore --noflush` from a shell, chains absent before, as the cold pass.
 * - Runs alternate controller and baseline, every chain removed between runs; medians.
 *
 * Target: 1,000 published ports applied in <= 0.5 s.
 *
 * Run (root): `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/ports.ts [runs=5] [ports=1000]`
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostState } from "@corral/api";
import { createLogger } from "@corral/lib";
import { createIptables } from "../agent/src/ports/iptables.ts";
import { PortsController } from "../agent/src/ports/ports-controller.ts";
import { hostStateFor } from "../agent/testing/ports-state.ts";
import { fmt, machineLine, median, revision, startLoadMonitor } from "./lib/common.ts";

process.env.CORRAL_LOG_LEVEL ??= "warn";
const runs = Number(process.argv[2] ?? 5);
const count = Number(process.argv[3] ?? 1000);
const tag = Math.random().toString(36).slice(2, 6).toUpperCase();
const prefix = `CB${tag}`;
const bridge = `cb${tag.toLowerCase()}0`;
const load = startLoadMonitor();

/** A host state of `count` containers in 10.42.0.0/20, each publishing base+i -> 80/tcp. */
function state(version: number, base: number): HostState {
  return hostStateFor(
    Array.from({ length: count }, (_, i) => ({
      ip: `10.42.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`,
      ports: [`${base + i}:80/tcp`],
    })),
    {
      version,
      network: {
        cidr: "10.42.0.0/16",
        hostSubnet: "10.42.0.0/20",
        gateway: "10.42.0.1",
        bridgeName: bridge,
        mtu: 1500,
      },
    },
    bridge,
  );
}

/** The lines of a table that name our chains, as iptables-save prints them. */
function ours(table: string): string[] {
  return execFileSync("iptables-save", ["-t", table], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(`${prefix}-`));
}

const controller = new PortsController({
  iptables: createIptables(),
  logger: createLogger("bench-ports"),
  prefix,
  bridgeInterface: bridge,
  serviceAddress: "169.254.169.250",
});

const work = mkdtempSync(join(tmpdir(), "corral-bench-ports-"));
const cold: number[] = [];
const change: number[] = [];
const noop: number[] = [];
const baseline: number[] = [];
let rules = 0;

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

try {
  const a = state(1, 20_000);
  const b = state(2, 30_000);
  // Warm-up, and the hand-written baseline input: exactly the rules the controller installs.
  await controller.pass(a);
  const nat = ours("nat");
  const filter = ours("filter");
  rules = [...nat, ...filter].filter((l) => l.startsWith(`-A ${prefix}-`)).length;
  const chainsOf = (lines: string[]) =>
    lines.filter((l) => l.startsWith(":")).map((l) => `${l.split(" ")[0]} - [0:0]`);
  const rulesOf = (lines: string[]) => lines.filter((l) => l.startsWith(`-A ${prefix}-`));
  const jumpsOf = (lines: string[]) =>
    lines
      .filter((l) => /^-A [A-Z]+ -j /.test(l) && !l.startsWith(`-A ${prefix}-`))
      .map((l) => l.replace(/^-A (\S+)/, "-I $1 1"));
  const input = [
    "*nat",
    ...chainsOf(nat),
    ...rulesOf(nat),
    ...jumpsOf(nat),
    "COMMIT",
    "*filter",
    ...chainsOf(filter),
    ...rulesOf(filter),
    ...jumpsOf(filter),
    "COMMIT",
    "",
  ].join("\n");
  const file = join(work, "rules.txt");
  writeFileSync(file, input);
  await controller.removeAll();

  for (let r = 0; r < runs; r++) {
    cold.push(await timed(() => controller.pass(a)));
    change.push(await timed(() => controller.pass(b)));
    noop.push(await timed(() => controller.pass(b)));
    await controller.removeAll();
    if (ours("nat").length + ours("filter").length > 0) throw new Error("removeAll left rules behind");
    baseline.push(
      await timed(async () => execFileSync("sh", ["-c", `iptables-restore --noflush < ${file}`])),
    );
    const applied = [...ours("nat"), ...ours("filter")].filter((l) => l.startsWith(`-A ${prefix}-`)).length;
    if (applied !== rules) throw new Error(`baseline applied ${applied} rules, expected ${rules}`);
    await controller.removeAll();
  }
} finally {
  await controller.removeAll().catch((e) => console.error("cleanup failed", e));
  rmSync(work, { recursive: true, force: true });
}

const ms = (xs: number[]) => `${fmt(median(xs))} ms [${xs.map((x) => fmt(x, 0)).join(", ")}]`;
console.log(`machine: ${machineLine()}`);
console.log(revision());
console.log(load.summary());
console.log(`${count} published ports = ${rules} rules in chains ${prefix}-*, ${runs} runs, medians`);
console.log(`controller pass, cold (chains absent):   ${ms(cold)}`);
console.log(`controller pass, change (all rewritten): ${ms(change)}`);
console.log(`controller pass, no-op:                  ${ms(noop)}`);
console.log(`baseline: one hand-written iptables-restore --noflush: ${ms(baseline)}`);
console.log(
  `ratio cold/baseline ${fmt(median(cold) / median(baseline), 2)}, change/baseline ${fmt(median(change) / median(baseline), 2)}; target <= 500 ms: ${Math.max(median(cold), median(change)) <= 500 ? "MET" : "MISSED"}`,
);
