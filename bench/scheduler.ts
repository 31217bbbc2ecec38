/**
 * Scheduler benchmark: placement decisions per second over 1,000 hosts with ~5,000 instances
 * already placed, for requests mixing hard host_label rules, soft container_label anti-affinity
 * (spread by service), container_label affinity and host ports. Each run builds a fresh Scheduler
 * (not timed) and times N successive `place()` calls, each reserving what it placed.
 *
 * In-run baseline: the same request stream through a naive scheduler with the same semantics but
 * no indexes (each placement scans every host's instances, labels and ports). Both must make the
 * same decisions; the script checks that, then prints both rates and their ratio.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/scheduler.ts [placements=20000] [runs=5] [naiveRuns=3]`
 * Target: >= 1,000 placements/s (kube-scheduler's published figure is ~300 pods/s).
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import {
  hostIps,
  type PlacementRequest,
  parseAffinityLabels,
  parseLabelTerms,
  type SchedHost,
  type SchedInstance,
  Scheduler,
} from "../server/src/scheduler/index.ts";

const A = "io.rancher.scheduler.affinity:";
const SVC = "io.rancher.stack_service.name";
const ANY = "0.0.0.0";

/** Deterministic LCG so every run and both schedulers see the same world. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 1,000 hosts with varied labels, ~5,000 instances, and `n` requests. */
function world(n: number): { hosts: SchedHost[]; instances: SchedInstance[]; requests: PlacementRequest[] } {
  const rand = rng(7);
  const int = (k: number) => Math.floor(rand() * k);
  const hosts: SchedHost[] = Array.from({ length: 1000 }, (_, i) => {
    const labels: Record<string, string> = {
      zone: `z${i % 5}`,
      disk: i % 3 === 0 ? "ssd" : "hdd",
      rack: `r${i % 20}`,
    };
    if (i % 10 === 0) labels["io.rancher.scheduler.ips"] = `10.1.${i % 256}.1,10.1.${i % 256}.2`;
    if (i % 50 === 1) labels["io.rancher.scheduler.require_any"] = "tier=infra";
    const id = `1h${String(i).padStart(4, "0")}`;
    const state = i % 50 === 2 ? "inactive" : "active";
    const base = { id, name: `host-${i}`, state, agentConnected: i % 97 !== 3, labels, ips: hostIps(labels) };
    return { ...base, memoryTotal: 16 * 2 ** 30, milliCpuTotal: 8000 };
  });
  const services = Array.from({ length: 400 }, (_, i) => `st${i % 40}/svc${i}`);
  const instances: SchedInstance[] = Array.from({ length: 5000 }, (_, i) => {
    const svc = services[int(services.length)]!;
    return {
      id: `1i${i}`,
      hostId: hosts[int(hosts.length)]!.id,
      name: `${svc.replace("/", "-")}-${i}`,
      labels: { [SVC]: svc, "io.rancher.stack.name": svc.split("/")[0]!, app: `app${i % 30}` },
      serviceRef: svc,
      ports: i % 4 === 0 ? [{ publicPort: 8000 + (i % 50), protocol: "tcp" }] : [],
      memoryReservation: 64 * 2 ** 20,
      milliCpuReservation: 50,
    };
  });
  const requests: PlacementRequest[] = Array.from({ length: n }, (_, i) => {
    const svc = services[int(services.length)]!;
    const labels: Record<string, string> = { [SVC]: svc, "io.rancher.stack.name": svc.split("/")[0]! };
    const kind = i % 10;
    // 40% hard disk=ssd + soft spread; 30% soft spread + a host port; 20% hard zone + soft_ne disk; 10% affinity.
    if (kind < 4) labels[`${A}host_label`] = "disk=ssd";
    if (kind < 7) labels[`${A}container_label_soft_ne`] = `${SVC}=${svc}`;
    if (kind >= 7 && kind < 9) {
      labels[`${A}host_label`] = `zone=z${int(5)}`;
      labels[`${A}host_label_soft_ne`] = "disk=hdd";
    }
    if (kind === 9) labels[`${A}container_label_soft`] = `app=app${int(30)}`;
    const ports = kind >= 4 && kind < 7 ? [{ publicPort: 10000 + int(20000), protocol: "tcp" as const }] : [];
    return {
      name: `${svc.replace("/", "-")}-r${i}`,
      labels,
      serviceRef: svc,
      ports,
      memoryReservation: 32 * 2 ** 20,
      milliCpuReservation: 10,
    };
  });
  return { hosts, instances, requests };
}

/** The baseline: Rancher's rules checked by scanning, per placement, every host's instances. */
class NaiveScheduler {
  private readonly hosts: SchedHost[];
  private readonly byHost = new Map<string, SchedInstance[]>();
  private seq = 0;

  constructor(hosts: SchedHost[], instances: SchedInstance[]) {
    this.hosts = [...hosts].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const h of hosts) this.byHost.set(h.id, []);
    for (const i of instances) this.byHost.get(i.hostId)?.push(i);
  }

  place(r: PlacementRequest): string | null {
    const rules = parseAffinityLabels(r.labels);
    const has = (labels: Record<string, string>, term: string) => {
      const eq = term.indexOf("=");
      const [k, v] = eq < 0 ? [term, null] : [term.slice(0, eq), term.slice(eq + 1)];
      return Object.entries(labels).some(
        ([lk, lv]) => lk.toLowerCase() === k && (v === null || lv.toLowerCase() === v),
      );
    };
    const taken = (list: SchedInstance[], port: number, proto: string, ip: string) =>
      list.some((i) =>
        i.ports.some(
          (p) =>
            p.publicPort === port &&
            p.protocol === proto &&
            (ip === ANY || (p.ip || ANY) === ip || (p.ip || ANY) === ANY),
        ),
      );
    let best: { h: SchedHost; ip: string; key: number[] } | null = null;
    for (const h of this.hosts) {
      if (h.state !== "active" || !h.agentConnected) continue;
      const list = this.byHost.get(h.id)!;
      const anyOf = h.labels["io.rancher.scheduler.require_any"];
      if (
        anyOf &&
        !parseLabelTerms(anyOf).some((t) => has(r.labels, t.value === null ? t.key : `${t.key}=${t.value}`))
      )
        continue;
      const holds = (rule: (typeof rules)[number]) => {
        const found =
          rule.kind === "host_label"
            ? has(h.labels, rule.term)
            : rule.kind === "container_label"
              ? list.some((i) => has(i.labels, rule.term))
              : list.some((i) => i.name.toLowerCase() === rule.term || i.id.toLowerCase() === rule.term);
        return found !== rule.negate;
      };
      if (!rules.every((rule) => !rule.hard || holds(rule))) continue;
      const specific = h.ips.filter((ip) => ip !== ANY);
      const ip = (specific.length > 0 ? specific : [ANY]).find((c) =>
        r.ports.every((p) => p.publicPort === 0 || !taken(list, p.publicPort, p.protocol, c)),
      );
      if (ip === undefined) continue;
      const mem = list.reduce((s, i) => s + (i.memoryReservation ?? 0), 0);
      const cpu = list.reduce((s, i) => s + (i.milliCpuReservation ?? 0), 0);
      if (h.memoryTotal > 0 && mem + (r.memoryReservation ?? 0) > h.memoryTotal) continue;
      if (h.milliCpuTotal > 0 && cpu + (r.milliCpuReservation ?? 0) > h.milliCpuTotal) continue;
      const score = rules.filter((rule) => !rule.hard && holds(rule)).length;
      const key = [-score, list.filter((i) => i.serviceRef === r.serviceRef).length, list.length];
      if (
        !best ||
        key[0]! < best.key[0]! ||
        (key[0] === best.key[0] &&
          (key[1]! < best.key[1]! || (key[1] === best.key[1] && key[2]! < best.key[2]!)))
      ) {
        best = { h, ip, key };
      }
    }
    if (!best) return null;
    const ports = r.ports.filter((p) => p.publicPort > 0).map((p) => ({ ...p, ip: best.ip }));
    const { requestedHostId: _, ...rest } = r;
    this.byHost.get(best.h.id)!.push({ ...rest, id: `naive-${++this.seq}`, hostId: best.h.id, ports });
    return best.h.id;
  }
}

/** Wall-clock rate, plus the rate per CPU-second of this process (steadier on a shared machine). */
function timeRun(
  place: (r: PlacementRequest) => string | null,
  requests: PlacementRequest[],
): { rate: number; cpuRate: number; picks: (string | null)[] } {
  const picks: (string | null)[] = new Array(requests.length);
  const c0 = process.cpuUsage();
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < requests.length; i++) picks[i] = place(requests[i]!);
  const seconds = (Bun.nanoseconds() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { rate: requests.length / seconds, cpuRate: requests.length / ((c.user + c.system) / 1e6), picks };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const [placements = 20000, runs = 5, naiveRuns = 3] = process.argv.slice(2).map(Number);
const { hosts, instances, requests } = world(placements);
const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
console.log(`machine: nproc ${availableParallelism()}, CPU "${cpuModel}", Bun ${Bun.version}`);
console.log(`world: ${hosts.length} hosts, ${instances.length} instances, ${placements} placements per run`);

const fast: number[] = [];
const fastCpu: number[] = [];
let reference: (string | null)[] = [];
for (let run = 0; run < runs; run++) {
  const t0 = Bun.nanoseconds();
  const s = new Scheduler(hosts, instances);
  const buildMs = (Bun.nanoseconds() - t0) / 1e6;
  const r = timeRun((q) => s.place(q).hostId, requests);
  fast.push(r.rate);
  fastCpu.push(r.cpuRate);
  reference = r.picks;
  console.log(
    `  scheduler run ${run + 1}: ${r.rate.toFixed(0)} placements/s, ${r.cpuRate.toFixed(0)} per CPU-second (build ${buildMs.toFixed(1)} ms)`,
  );
}
const failed = reference.filter((p) => p === null).length;
console.log(`  ${placements - failed} placed, ${failed} found no host`);

const naive: number[] = [];
const naiveCpu: number[] = [];
for (let run = 0; run < naiveRuns; run++) {
  const n = new NaiveScheduler(hosts, instances);
  const r = timeRun((q) => n.place(q), requests);
  naive.push(r.rate);
  naiveCpu.push(r.cpuRate);
  const diff = r.picks.findIndex((p, i) => p !== reference[i]);
  if (diff >= 0) throw new Error(`naive and indexed schedulers disagree at placement ${diff}`);
  console.log(
    `  naive run ${run + 1}: ${r.rate.toFixed(0)} placements/s, ${r.cpuRate.toFixed(0)} per CPU-second (same decisions)`,
  );
}

const f = median(fast);
console.log(
  `scheduler: ${f.toFixed(0)} placements/s (median of ${runs}), ${(1e6 / f).toFixed(0)} us/placement`,
);
console.log(`  per CPU-second: ${median(fastCpu).toFixed(0)} (median)`);
if (naiveRuns > 0) {
  const b = median(naive);
  console.log(
    `naive scan baseline: ${b.toFixed(0)} placements/s (median of ${naiveRuns}); ratio ${(f / b).toFixed(1)}x`,
  );
  console.log(
    `  per CPU-second: ${median(naiveCpu).toFixed(0)}; ratio ${(median(fastCpu) / median(naiveCpu)).toFixed(1)}x`,
  );
}
