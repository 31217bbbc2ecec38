/**
 * Benchmark: `/ping` latency while one service is scaled from 0 to 10,000 in one `PUT`, and the time
 * until every unit runs (finding 2 of issue 12: this froze every API request for 30 s and more).
 *
 * - Server: in process, in-memory store, default liveness timings, `CORRAL_MAX_SERVICE_SCALE` raised
 *   to the scale asked for.
 * - Hosts: fake websocket agents (test/api/fake-agent.ts) that answer every event as Docker would
 *   and ping every 5 s; 40 of them by default, since a host's /24 holds 253 containers.
 * - Measured: `/ping` sampled every 10 ms (p50, p99, max) from the `PUT` until the last unit is
 *   `running`, and that time.
 * - Baseline (same run, same process, same hosts connected): `/ping` sampled the same way for
 *   `baselineS` seconds before the scale-up. The figure is the ratio of the two p99s.
 *
 * - `hostState=off` (the default) stops the server's hostState publisher first: it sends every host
 *   the whole environment's network view after each change (issue 12, finding 3, fixed apart), and
 *   with 10,000 containers that alone takes most of the CPU. `hostState=on` keeps it.
 *
 * Target: p99 of `/ping` during the scale-up < 50 ms.
 *
 * Run: `export PATH=$PWD/node_modules/.bin:$PATH; bun bench/scale-10000.ts [scale=10000] [hosts=40] [baselineS=10] [hostState=off|on]`
 */
import { loadavg } from "node:os";
import { startServer } from "@corral/server";
import { closeRig, currentScale, PingSampler, percentile, scaleRig } from "../test/abuse/scale-probe.ts";
import { fmt, machineLine } from "./lib/common.ts";

const scale = Number(process.argv[2] ?? 10_000);
const hosts = Number(process.argv[3] ?? 40);
const baselineS = Number(process.argv[4] ?? 10);
const hostState = (process.argv[5] ?? "off") === "on";

const server = startServer({
  port: 0,
  hostname: "127.0.0.1",
  dataDir: null,
  env: { CORRAL_MAX_SERVICE_SCALE: String(scale) },
});
if (!hostState) server.publisher.stop();
const rig = await scaleRig(server, hosts);

const summary = (samples: number[]) =>
  `p50 ${fmt(percentile(samples, 50))} ms, p99 ${fmt(percentile(samples, 99))} ms, max ${fmt(Math.max(...samples))} ms (${samples.length} samples)`;

const loadBefore = loadavg()[0]!;
const idle = new PingSampler(server.url);
await Bun.sleep(baselineS * 1000);
const baseline = await idle.stop();

const sampler = new PingSampler(server.url);
const t0 = performance.now();
const put = await rig.admin.put(`/v2-beta/services/${rig.serviceId}`, { scale });
if (put.status !== 200) throw new Error(`PUT scale answered ${put.status}: ${JSON.stringify(put.body)}`);
while (currentScale(server, rig.serviceId) < scale) {
  if (performance.now() - t0 > 600_000) throw new Error("not every unit ran within 10 minutes");
  await Bun.sleep(250);
}
const placedMs = performance.now() - t0;
const during = await sampler.stop();
const loadAfter = loadavg()[0]!;

console.log(machineLine());
console.log(`load average (1 min): ${fmt(loadBefore)} before, ${fmt(loadAfter)} after`);
console.log(`baseline, no scale-up (${baselineS} s): /ping ${summary(baseline)}`);
console.log(
  `scale 0 -> ${scale} over ${hosts} hosts (hostState ${hostState ? "on" : "off"}): /ping ${summary(during)}`,
);
console.log(`all ${scale} units running after ${fmt(placedMs / 1000)} s`);
console.log(`ratio of p99s (during / baseline): ${fmt(percentile(during, 99) / percentile(baseline, 99))}`);

await closeRig(rig);
await server.stop();
process.exit(0);
