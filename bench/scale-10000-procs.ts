/**
 * Benchmark: `/ping` latency while one service is scaled from 0 to 10,000 in one `PUT`, with the
 * hosts and the prober in processes of their own (issue 12, finding 2). `bench/scale-10000.ts` runs
 * 40 fake agents in the server's process: with the network view publisher on, their frame parsing
 * shared the server's event loop and the run never finished. Here only the server runs in this
 * process:
 * - a child process holds the fake agents (bench/lib/agent-fleet.ts), pinging every 5 s and, with
 *   `hostState=on`, assembling every network view the server sends them;
 * - another child times `GET /ping` every 10 ms from outside (bench/lib/ping-sampler.ts).
 * Baseline (same run, same hosts connected): `/ping` for `baselineS` seconds before the scale-up.
 * Target: p99 of `/ping` during the scale-up < 50 ms.
 *
 * Run: `export PATH=$PWD/node_modules/.bin:$PATH; bun bench/scale-10000-procs.ts [scale=10000] [hosts=40] [baselineS=10] [hostState=on|off]`
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { startServer } from "@corral/server";
import { currentScale, hostsActive, percentile, scaleService } from "../test/abuse/scale-probe.ts";
import { adminClient, createProject } from "../test/api/harness.ts";
import { bunPath, fmt, machineLine, repoRoot } from "./lib/common.ts";

const scale = Number(process.argv[2] ?? 10_000);
const hosts = Number(process.argv[3] ?? 40);
const baselineS = Number(process.argv[4] ?? 10);
const hostState = (process.argv[5] ?? "on") === "on";

const server = startServer({
  port: 0,
  hostname: "127.0.0.1",
  dataDir: null,
  env: { CORRAL_MAX_SERVICE_SCALE: String(scale) },
});
if (!hostState) server.publisher.stop();
const admin = adminClient(server);
const project = await createProject(admin);

const child = (script: string, args: string[]) =>
  Bun.spawn([bunPath, join(repoRoot, "bench/lib", script), ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });

const fleet = child("agent-fleet.ts", [server.url, project.token, String(hosts), hostState ? "on" : "off"]);
const fleetOut = fleet.stdout.getReader();
const first = new TextDecoder().decode((await fleetOut.read()).value);
if (!first.includes("ready")) throw new Error(`the agent fleet said ${first}`);
await hostsActive(admin, project.id, hosts);
const serviceId = await scaleService(admin, project.id);

/** Samples /ping from a child process while `during` runs; returns the latencies. */
async function sampled(during: () => Promise<void>): Promise<number[]> {
  const sampler = child("ping-sampler.ts", [server.url]);
  await during();
  sampler.stdin.end();
  return JSON.parse(await new Response(sampler.stdout).text()) as number[];
}

const summary = (samples: number[]) =>
  `p50 ${fmt(percentile(samples, 50))} ms, p99 ${fmt(percentile(samples, 99))} ms, max ${fmt(Math.max(...samples))} ms (${samples.length} samples)`;

const loadBefore = loadavg()[0]!;
const baseline = await sampled(() => Bun.sleep(baselineS * 1000));
let placedMs = 0;
const during = await sampled(async () => {
  const t0 = performance.now();
  const put = await admin.put(`/v2-beta/services/${serviceId}`, { scale });
  if (put.status !== 200) throw new Error(`PUT scale answered ${put.status}: ${JSON.stringify(put.body)}`);
  while (currentScale(server, serviceId) < scale) {
    if (performance.now() - t0 > 900_000) throw new Error("not every unit ran within 15 minutes");
    await Bun.sleep(250);
  }
  placedMs = performance.now() - t0;
});
const loadAfter = loadavg()[0]!;

console.log(machineLine());
console.log(`load average (1 min): ${fmt(loadBefore)} before, ${fmt(loadAfter)} after`);
console.log(`baseline, no scale-up (${baselineS} s): /ping ${summary(baseline)}`);
console.log(
  `scale 0 -> ${scale} over ${hosts} hosts in another process (hostState ${hostState ? "on" : "off"}): /ping ${summary(during)}`,
);
console.log(`all ${scale} units running after ${fmt(placedMs / 1000)} s`);
console.log(`ratio of p99s (during / baseline): ${fmt(percentile(during, 99) / percentile(baseline, 99))}`);

fleet.stdin.end();
await fleet.exited;
await server.stop();
process.exit(0);
