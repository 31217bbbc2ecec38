/**
 * Shared helpers of the benchmarks: the machine description every figure is recorded with, medians
 * and ratios, /proc readings of a process, and small process utilities. Not a benchmark itself.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The repository root (bench/lib/../..). */
export const repoRoot = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The Bun binary running this script (the repository's node_modules/.bin/bun when run as documented). */
export const bunPath = process.execPath;

/** What a figure was measured on. */
export interface Machine {
  nproc: number;
  cpuModel: string;
  kernel: string;
  docker: string;
  bun: string;
  memTotalGiB: number;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unavailable";
  }
}

/** Describes this machine: nproc, CPU model from /proc/cpuinfo, kernel, Docker and Bun versions. */
export function machine(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  return {
    nproc: cpus().length,
    cpuModel: model.trim(),
    kernel: run("uname", ["-r"]),
    docker: run("docker", ["version", "--format", "{{.Server.Version}}"]),
    bun: Bun.version,
    memTotalGiB: Math.round(memKiB / 1024 / 1024),
  };
}

/** One line describing the machine, for the reports. */
export function machineLine(m = machine()): string {
  return `nproc ${m.nproc}, CPU "${m.cpuModel}", ${m.memTotalGiB} GiB, kernel ${m.kernel}, Docker ${m.docker}, Bun ${m.bun}`;
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The q-quantile (0..1) of a non-empty list, nearest rank. */
export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Formats a number with a fixed number of decimals. */
export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
export const clockTicks = Number(run("getconf", ["CLK_TCK"])) || 100;

/** utime+stime of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name is in parentheses and may hold spaces: fields count from after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Resident set size of a process in MiB, from /proc/<pid>/status VmRSS. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A free TCP port on loopback (bind to 0, read, close). */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes; throws on timeout. */
export async function waitForUrl(url: string, timeoutMs = 15_000, init?: RequestInit): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, init);
      return;
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${e}`);
      await sleep(20);
    }
  }
}

/** An HTTP Basic Authorization header value. */
export function basic(access: string, secret: string): string {
  return `Basic ${Buffer.from(`${access}:${secret}`).toString("base64")}`;
}

/** A random admin key pair for a benchmark server (CORRAL_ADMIN_ACCESS_KEY / _SECRET_KEY). */
export function benchAdminKey(): { access: string; secret: string } {
  const rnd = (n: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(n)),
      (b) => "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[b % 32],
    ).join("");
  return { access: `BENCH${rnd(15)}`, secret: rnd(40) };
}

/** Prints a section of the report (stdout) so each script's output can be pasted into BENCHMARKS.md. */
export function report(lines: string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** The 1-minute load average now, from /proc/loadavg. */
export function loadAvg(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/**
 * Samples the 1-minute load average every 2 s from now on. The machine may be shared (other jobs,
 * test suites): the load is printed beside every figure so a reader can judge the noise.
 */
export function startLoadMonitor(): { summary(): string } {
  const samples = [loadAvg()];
  const timer = setInterval(() => samples.push(loadAvg()), 2000);
  timer.unref();
  return {
    summary: () =>
      `1-min load average during the run: min ${fmt(Math.min(...samples), 2)}, median ${fmt(median(samples), 2)}, max ${fmt(Math.max(...samples), 2)} (on ${cpus().length} CPUs)`,
  };
}

/** The measured tree: git HEAD and how many files differ from it (others may edit concurrently). */
export function revision(): string {
  const head = run("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]);
  const dirty = run("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no"]);
  const n = dirty === "unavailable" || dirty === "" ? 0 : dirty.split("\n").length;
  return `tree: git ${head}${n ? ` plus ${n} uncommitted changed files in the working tree` : " (clean)"}`;
}
