/**
 * A child process of `bench/scale-10000-procs.ts`: times `GET <url>/ping` every 10 ms from outside
 * the server's process until stdin closes, then prints the latencies (ms) as one JSON array.
 *   bun bench/lib/ping-sampler.ts <url>
 */
import { argv } from "node:process";
import { PingSampler } from "../../test/abuse/scale-probe.ts";

const url = argv[2];
if (!url) throw new Error("usage: ping-sampler.ts <url>");
const sampler = new PingSampler(url);
for await (const _ of Bun.stdin.stream()) {
  // Nothing is read: stdin closing says stop.
}
console.log(JSON.stringify(await sampler.stop()));
process.exit(0);
