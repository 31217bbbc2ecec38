/**
 * Benchmark: Corral's DNS server (agent/src/dns) against dnsmasq, answering the same zone.
 *
 * - State: a synthetic HostState of 100 services x 3 healthy running containers (10 stacks of 10
 *   services), so `svcN.stackM.rancher.internal` has three A records.
 * - Ours: bench/fixtures/dns-server.ts, startDnsServer on 127.0.0.1:<free port> in its own process.
 * - Baseline, same run: dnsmasq (Debian; installed with apt-get when missing) on 127.0.0.2:<port>,
 *   serving the same 300 A records from a hosts file generated from the same HostState, no
 *   upstream (`--no-resolv --local=/rancher.internal/`), TTL 1 like ours.
 * - Load: dnsperf (Debian; installed when missing), same query file (the 100 service names, A),
 *   same options for both (`-c 2 -q 100 -l 8`), rounds alternating, medians of queries/s.
 * - CPUs: dnsperf runs on CPU 0 and both servers (every thread) on the last CPU, as a load generator
 *   on its own machine would. On a 2-CPU machine sharing them measures the scheduler instead: dnsperf's
 *   sender and receiver threads and the server queue for 2 CPUs, and a query waits a time slice.
 * - Latency: dnsperf `-Q <half of our median peak> -v` (one line per query with its latency) for ours,
 *   and dnsmasq at the same rate; p50/p99 computed from those lines. Then once more with every process
 *   free to use any CPU, reported beside it for reference (both servers again at the same rate).
 *
 * Targets: queries/s >= 0.5x dnsmasq; p99 <= 2 ms at half of our peak rate (separate CPUs).
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/dns.ts [rounds=3] [seconds=8]`
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { HostState, StateContainer, StateService } from "@corral/api";
import { container, sampleState, service } from "../agent/testing/dns-state.ts";
import {
  bunPath,
  fmt,
  freePort,
  machineLine,
  median,
  quantile,
  repoRoot,
  revision,
  sleep,
  startLoadMonitor,
} from "./lib/common.ts";

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 8);
const load = startLoadMonitor();

for (const [bin, pkg] of [
  ["dnsperf", "dnsperf"],
  ["dnsmasq", "dnsmasq-base"],
] as const) {
  if (!Bun.which(bin) && !Bun.which(bin, { PATH: "/usr/sbin:/usr/bin" })) {
    console.error(`installing ${pkg}`);
    execFileSync(
      "sh",
      [
        "-c",
        `apt-get install -y -qq ${pkg} >/dev/null || (apt-get update -qq && apt-get install -y -qq ${pkg} >/dev/null)`,
      ],
      {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      },
    );
  }
}

/** 100 services x 3 containers; every container healthy and running at 10.42.x.y. */
function syntheticState(): HostState {
  const services: StateService[] = [];
  const containers: StateContainer[] = [];
  let n = 0;
  for (let s = 0; s < 10; s++) {
    for (let v = 0; v < 10; v++) {
      const id = `1s${s * 10 + v + 1}`;
      const name = `svc${v}`;
      const stackName = `stack${s}`;
      services.push(service({ id, name, stackName, scale: 3 }));
      for (let k = 1; k <= 3; k++) {
        n++;
        containers.push(
          container({
            id: `1i${n}`,
            name: `${stackName}-${name}-${k}`,
            ip: `10.42.${1 + Math.floor(n / 250)}.${(n % 250) + 2}`,
            serviceId: id,
            serviceName: name,
            stackName,
            launchConfigName: "",
            healthState: "healthy",
            createIndex: k,
          }),
        );
      }
    }
  }
  // The tests' fixture (host 1h1, slice 10.42.1.0/24) with these services and containers only.
  return sampleState(1, {
    containers,
    services,
    hosts: [],
    // Never reached: every query of the benchmark is inside the zone.
    upstreamDns: ["127.0.0.1:9"],
  });
}

const state = syntheticState();
const work = mkdtempSync(join(tmpdir(), "corral-bench-dns-"));
const stateFile = join(work, "state.json");
const hostsFile = join(work, "hosts");
const queryFile = join(work, "queries");
writeFileSync(stateFile, JSON.stringify(state));
const byService = new Map(state.services.map((s) => [s.id, `${s.name}.${s.stackName}.rancher.internal`]));
writeFileSync(
  hostsFile,
  `${state.containers.map((c) => `${c.ip} ${byService.get(c.serviceId!)}`).join("\n")}\n`,
);
writeFileSync(queryFile, `${[...byService.values()].map((name) => `${name} A`).join("\n")}\n`);

const children: ChildProcess[] = [];

// The load generator's CPU and the servers' CPU; with one CPU there is nothing to separate.
const cpuCount = cpus().length;
const separate = cpuCount >= 2;
const loadCpu = "0";
const serverCpu = String(cpuCount - 1);
const allCpus = `0-${cpuCount - 1}`;

/** Sets the CPUs of every thread of a running process (`taskset -a -p`, util-linux). */
function pinProcess(child: ChildProcess, cpuList: string): void {
  if (separate) execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(child.pid)], { stdio: "ignore" });
}

async function startOurs(port: number): Promise<ChildProcess> {
  const child = spawn(bunPath, [join(repoRoot, "bench/fixtures/dns-server.ts"), stateFile, String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CORRAL_LOG_LEVEL: "warn" },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.on("exit", (code) => reject(new Error(`dns fixture exited ${code}`)));
  });
  return child;
}

async function startDnsmasq(port: number): Promise<ChildProcess> {
  const child = spawn(
    Bun.which("dnsmasq", { PATH: "/usr/sbin:/usr/bin:/sbin" }) ?? "dnsmasq",
    [
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-hosts",
      `--addn-hosts=${hostsFile}`,
      "--no-resolv",
      "--local=/rancher.internal/",
      "--listen-address=127.0.0.2",
      "--bind-interfaces",
      `--port=${port}`,
      "--local-ttl=1",
      "--pid-file=",
      "--user=root",
      "--log-facility=-",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  children.push(child);
  await sleep(500);
  if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}`);
  return child;
}

/** One dnsperf run; on the load generator's CPU unless `shared`. */
function dnsperf(server: string, port: number, extra: string[], shared = false): string {
  const pin = separate && !shared ? ["-c", loadCpu] : null;
  return execFileSync(
    pin ? "taskset" : "dnsperf",
    [
      ...(pin ? [...pin, "dnsperf"] : []),
      "-s",
      server,
      "-p",
      String(port),
      "-d",
      queryFile,
      "-l",
      String(seconds),
      "-c",
      "2",
      "-q",
      "100",
      ...extra,
    ],
    { encoding: "utf8", maxBuffer: 1 << 30 },
  );
}

function qps(out: string): number {
  const m = /Queries per second:\s+([\d.]+)/.exec(out);
  const lost = /Queries lost:\s+(\d+)/.exec(out)?.[1];
  if (!m) throw new Error(`no qps in dnsperf output:\n${out}`);
  if (lost && Number(lost) > 0) console.error(`  (${lost} queries lost)`);
  return Number(m[1]);
}

/** Latencies (ms) from `dnsperf -v` lines (`> NOERROR name A 0.000123`), and the rcodes seen. */
function latencies(out: string): { ms: number[]; rcodes: Map<string, number>; achieved: number } {
  const ms: number[] = [];
  const rcodes = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^> (\S+) .* ([\d.]+)$/.exec(line);
    if (!m) continue;
    rcodes.set(m[1]!, (rcodes.get(m[1]!) ?? 0) + 1);
    ms.push(Number(m[2]) * 1000);
  }
  return { ms, rcodes, achieved: qps(out) };
}

/** One answer of each server, to check they agree on the records (three A records per name). */
function check(server: string, port: number): number {
  const name = byService.get("1s42")!;
  const out = execFileSync("dig", [`@${server}`, "-p", String(port), "+short", "+norecurse", name, "A"], {
    encoding: "utf8",
  });
  return out.trim().split("\n").filter(Boolean).length;
}

const oursQps: number[] = [];
const dnsmasqQps: number[] = [];
type Latencies = ReturnType<typeof latencies>;
let oursLat: Latencies | null = null;
let dnsmasqLat: Latencies | null = null;
let oursShared: Latencies | null = null;
let dnsmasqShared: Latencies | null = null;
let rate = 0;
try {
  const oursPort = freePort();
  const dnsmasqPort = freePort();
  const ours = await startOurs(oursPort);
  const dnsmasq = await startDnsmasq(dnsmasqPort);
  pinProcess(ours, serverCpu);
  pinProcess(dnsmasq, serverCpu);
  const a = check("127.0.0.1", oursPort);
  const b = check("127.0.0.2", dnsmasqPort);
  if (a !== 3 || b !== 3)
    throw new Error(`expected 3 A records from each server, got ours ${a}, dnsmasq ${b}`);
  // Warm-up (JIT, caches), then alternating rounds.
  dnsperf("127.0.0.1", oursPort, ["-l", "2"]);
  for (let r = 0; r < rounds; r++) {
    dnsmasqQps.push(qps(dnsperf("127.0.0.2", dnsmasqPort, [])));
    oursQps.push(qps(dnsperf("127.0.0.1", oursPort, [])));
    console.error(
      `round ${r + 1}: dnsmasq ${fmt(dnsmasqQps.at(-1)!, 0)} q/s, ours ${fmt(oursQps.at(-1)!, 0)} q/s`,
    );
  }
  rate = Math.round(median(oursQps) / 2);
  oursLat = latencies(dnsperf("127.0.0.1", oursPort, ["-Q", String(rate), "-v"]));
  dnsmasqLat = latencies(dnsperf("127.0.0.2", dnsmasqPort, ["-Q", String(rate), "-v"]));
  if (separate) {
    pinProcess(ours, allCpus);
    pinProcess(dnsmasq, allCpus);
    oursShared = latencies(dnsperf("127.0.0.1", oursPort, ["-Q", String(rate), "-v"], true));
    dnsmasqShared = latencies(dnsperf("127.0.0.2", dnsmasqPort, ["-Q", String(rate), "-v"], true));
  }
} finally {
  for (const c of children) c.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}

const ratio = median(oursQps) / median(dnsmasqQps);
const p = (l: Latencies) =>
  `p50 ${fmt(quantile(l.ms, 0.5), 3)} ms, p99 ${fmt(quantile(l.ms, 0.99), 3)} ms, max ${fmt(Math.max(...l.ms), 2)} ms over ${l.ms.length} answers (${fmt(l.achieved, 0)} q/s achieved; ${[...l.rcodes].map(([k, v]) => `${k} ${v}`).join(", ")})`;
console.log(`machine: ${machineLine()}`);
console.log(revision());
console.log(load.summary());
console.log(
  `zone: ${state.services.length} services x 3 containers; dnsperf -c 2 -q 100 -l ${seconds}, ${rounds} alternating rounds`,
);
console.log(
  separate
    ? `CPUs: dnsperf on CPU ${loadCpu}, both servers on CPU ${serverCpu}`
    : "CPUs: 1, so dnsperf and the servers share it",
);
console.log(
  `ours    queries/s: median ${fmt(median(oursQps), 0)} [${oursQps.map((x) => fmt(x, 0)).join(", ")}]`,
);
console.log(
  `dnsmasq queries/s: median ${fmt(median(dnsmasqQps), 0)} [${dnsmasqQps.map((x) => fmt(x, 0)).join(", ")}]`,
);
console.log(`ratio ours/dnsmasq: ${fmt(ratio, 2)} (target >= 0.5: ${ratio >= 0.5 ? "MET" : "MISSED"})`);
console.log(`latency at ${rate} q/s (half our peak), ours:    ${p(oursLat!)}`);
console.log(`latency at ${rate} q/s (half our peak), dnsmasq: ${p(dnsmasqLat!)}`);
if (oursShared && dnsmasqShared) {
  console.log(`for reference, every process on any CPU, ours:    ${p(oursShared)}`);
  console.log(`for reference, every process on any CPU, dnsmasq: ${p(dnsmasqShared)}`);
}
const p99 = quantile(oursLat!.ms, 0.99);
console.log(`p99 target <= 2 ms: ${p99 <= 2 ? "MET" : "MISSED"}`);
