/**
 * A child process of `bench/scale-10000-procs.ts`: times `GET <url>/ping` every 10 ms from outside
 * the server's process until stdin closes, then prints the latencies (ms) as one JSON array.
 *   bun bench/lib/ping-sampler.ts <url>
 */
import { argv } from "node:process";

const url = argv[2];
if (!url) throw new Error("usage: ping-sampler.ts <url>");
const samples: number[] = [];
let running = true;
const loop = (async () => {
  while (running) {
    const t0 = performance.now();
    const res = await fetch(`${url}/ping`);
    await res.text();
    samples.push(performance.now() - t0);
    await Bun.sleep(10);
  }
})();
for await (const _ of Bun.stdin.stream()) {
  // Nothing is read: stdin closing says stop.
}
running = false;
await loop;
console.log(JSON.stringify(samples));
process.exit(0);
