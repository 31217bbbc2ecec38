/**
 * Benchmark 4: the compiled `dist/corral server` — time from process start to the first answered
 * request, and idle RSS — against a compiled `Bun.serve` hello world binary started the same way.
 *
 * - Builds `dist/corral` with `npm run build` (bun build --compile) unless `--no-build` is given;
 *   a failed build is reported with its output and the benchmark stops.
 * - Baseline: bench/fixtures/hello.ts compiled with the same flags (`--compile --minify --sourcemap`).
 * - Each run: a fresh data dir and port; the clock starts just before spawn and stops when
 *   `GET /ping` (corral) or `GET /` (hello) first answers, polling every 1 ms (a refused connection
 *   costs well under a millisecond on loopback). Then idle RSS is read from /proc/<pid>/status VmRSS
 *   after the process has sat idle for 3 s. Corral runs as a real first start: no admin key in the
 *   environment, so it generates one and writes <data>/admin-key.json. Runs alternate corral/hello.
 *   (hyperfine times a command until it exits, not until a server answers, so the timing is here.)
 *
 * Targets: start to first answered request < 300 ms; idle RSS < 100 MB (medians of the runs).
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/startup.ts [runs=15] [--no-build]`
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bunPath,
  fmt,
  freePort,
  machineLine,
  median,
  repoRoot,
  revision,
  rssMiB,
  sleep,
  startLoadMonitor,
} from "./lib/common.ts";

const load = startLoadMonitor();
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
const build = !process.argv.includes("--no-build");
const work = mkdtempSync(join(tmpdir(), "corral-bench-startup-"));
const corralBin = join(repoRoot, "dist/corral");
const helloBin = join(work, "hello");

if (build) {
  const t = performance.now();
  const r = spawnSync("npm", ["run", "build"], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) {
    console.log(`npm run build FAILED (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  process.stderr.write(`npm run build: ok in ${fmt((performance.now() - t) / 1000, 1)} s\n`);
}
if (!existsSync(corralBin)) throw new Error(`${corralBin} is missing: run npm run build`);
const hb = spawnSync(
  bunPath,
  ["build", "--compile", "--minify", "--sourcemap", "bench/fixtures/hello.ts", "--outfile", helloBin],
  { cwd: repoRoot, encoding: "utf8" },
);
if (hb.status !== 0) throw new Error(`building the hello world baseline failed:\n${hb.stderr}`);

interface Sample {
  ms: number;
  rss: number;
}

/** Starts `cmd`, times until `url` first answers, waits idle, reads RSS, stops it. */
async function once(cmd: string[], url: string): Promise<Sample> {
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore", env: { PATH: process.env.PATH } });
  let ms = Number.NaN;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      ms = performance.now() - t0;
      break;
    } catch {
      if (performance.now() - t0 > 10_000 || proc.exitCode !== null) break;
      await sleep(1);
    }
  }
  if (Number.isNaN(ms)) {
    proc.kill("SIGKILL");
    throw new Error(`${cmd.join(" ")} did not answer ${url} within 10 s (exit ${proc.exitCode})`);
  }
  await sleep(3000);
  const rss = rssMiB(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  return { ms, rss };
}

const corral: Sample[] = [];
const hello: Sample[] = [];
try {
  const runCorral = async () => {
    const port = freePort();
    const data = mkdtempSync(join(work, "data-"));
    const s = await once(
      [
        corralBin,
        "server",
        "--port",
        String(port),
        "--https-port",
        "0",
        "--listen",
        "127.0.0.1",
        "--data",
        data,
      ],
      `http://127.0.0.1:${port}/ping`,
    );
    rmSync(data, { recursive: true, force: true });
    return s;
  };
  const runHello = async () => {
    const port = freePort();
    return once([helloBin, String(port)], `http://127.0.0.1:${port}/`);
  };
  // Warm-up: the page cache holds both binaries afterwards, as it would on a second start.
  await runCorral();
  await runHello();
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      corral.push(await runCorral());
      hello.push(await runHello());
    } else {
      hello.push(await runHello());
      corral.push(await runCorral());
    }
    process.stderr.write(
      `run ${i + 1}/${runs}: corral ${fmt(corral.at(-1)!.ms)} ms ${fmt(corral.at(-1)!.rss)} MiB, hello ${fmt(hello.at(-1)!.ms)} ms ${fmt(hello.at(-1)!.rss)} MiB\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const cms = median(corral.map((s) => s.ms));
const hms = median(hello.map((s) => s.ms));
const crss = median(corral.map((s) => s.rss));
const hrss = median(hello.map((s) => s.rss));
const sizeMiB = Bun.file(corralBin).size / 1024 / 1024;
const all = (xs: number[]) => xs.map((x) => fmt(x)).join(", ");
console.log(
  `# dist/corral server start-up, ${runs} runs each (after 1 warm-up), ${new Date().toISOString()}`,
);
console.log(`machine: ${machineLine()}`);
console.log(revision());
console.log(load.summary());
console.log(`dist/corral: ${fmt(sizeMiB)} MiB`);
console.log(`corral start to first answer: median ${fmt(cms)} ms [${all(corral.map((s) => s.ms))}]`);
console.log(`baseline hello start to first answer: median ${fmt(hms)} ms [${all(hello.map((s) => s.ms))}]`);
console.log(`ratio ${fmt(cms / hms, 2)}; target < 300 ms: ${cms < 300 ? "MET" : "MISSED"}`);
console.log(`corral idle RSS: median ${fmt(crss)} MiB [${all(corral.map((s) => s.rss))}]`);
console.log(`baseline hello idle RSS: median ${fmt(hrss)} MiB [${all(hello.map((s) => s.rss))}]`);
console.log(`ratio ${fmt(crss / hrss, 2)}; target < 100 MB: ${crss * 1.048576 < 100 ? "MET" : "MISSED"}`);
