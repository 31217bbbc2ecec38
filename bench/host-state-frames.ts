/**
 * Network view frames of a large environment: what one host is sent when it connects and when one
 * container changes, in bytes and time, on an environment written straight into an in-memory store
 * (server/testing/large-environment.ts: 40 hosts, 100 stacks x 10 services x N/1,000 containers,
 * half of the services with a health check, labels as the orchestrator writes them).
 *
 * In-run baseline: the whole view as it was sent before (one `hostState` frame per host per change,
 * `hostStateFrom` serialised), built for every host of the environment on each change.
 * After: the snapshot a connecting host gets (its parts), the deltas one container's health change
 * sends (to the container's own host and to another), the server's time from the change to the
 * last delta, and the agent's time to parse and rebuild a snapshot and to apply a delta.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/host-state-frames.ts [containers=10000] [runs=5]`
 */
import { cpus, loadavg } from "node:os";
import { HostStateAssembler, maxFrameBytes, parseId, serverFrameSchema } from "../api/index.ts";
import { hostStateFrom, loadProjectRows } from "../server/src/network/host-state.ts";
import { StatePublisher } from "../server/src/network/publisher.ts";
import { largeEnvironment } from "../server/testing/large-environment.ts";

const containers = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${n} B (${(n / 1024).toFixed(1)} KiB)`;

const env = largeEnvironment({ containersPerService: Math.max(1, Math.round(containers / 1000)) });
const [own, other] = [env.hostIds[0]!, env.hostIds[1]!];
const sent: { hostId: string; text: string; at: number }[] = [];
const sessions = new Map(env.hostIds.map((h) => [h, {}]));
const publisher = new StatePublisher(
  env.store,
  {
    sessionOf: (h) => sessions.get(h),
    sendState: (hostId, { text }) => {
      sent.push({ hostId, text, at: performance.now() });
      return true;
    },
  },
  0,
);

// Before: every change sent every host its whole view.
const wholeMs: number[] = [];
let wholeBytes = 0;
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  const rows = loadProjectRows(env.store, env.projectId);
  for (const h of env.hostIds) wholeBytes = Buffer.byteLength(JSON.stringify(hostStateFrom(rows, h, 1)));
  wholeMs.push(performance.now() - t);
}

// After: a snapshot per connecting host.
const snapMs: number[] = [];
let parts: string[] = [];
for (let r = 0; r < runs; r++) {
  sent.length = 0;
  sessions.set(own, {});
  const t = performance.now();
  publisher.hello(own);
  snapMs.push(performance.now() - t);
  parts = sent.filter((s) => s.hostId === own).map((s) => s.text);
}
for (const h of env.hostIds) if (h !== own) publisher.hello(h);

// The agent's side of a snapshot: parse every part with the protocol schema and rebuild the view.
const agentSnapMs: number[] = [];
let assembler = new HostStateAssembler();
for (let r = 0; r < runs; r++) {
  assembler = new HostStateAssembler();
  const t = performance.now();
  for (const text of parts) assembler.accept(serverFrameSchema.parse(JSON.parse(text)) as never);
  agentSnapMs.push(performance.now() - t);
}

// One container's health change: the deltas, and the server's time from the write to the last one.
const target = env.containerIds.find((id) => {
  const row = env.store.get<{ hostId: string }>(parseId("container", id)!);
  return row?.data.hostId === own;
})!;
const deltaMs: number[] = [];
const agentDeltaMs: number[] = [];
let ownDelta = 0;
let otherDelta = 0;
for (let r = 0; r < runs; r++) {
  sent.length = 0;
  const t = performance.now();
  env.store.update(parseId("container", target)!, { data: { healthState: r % 2 ? "healthy" : "unhealthy" } });
  while (sent.length < env.hostIds.length) await Bun.sleep(1);
  deltaMs.push(Math.max(...sent.map((s) => s.at)) - t);
  const mine = sent.find((s) => s.hostId === own)!.text;
  ownDelta = Buffer.byteLength(mine);
  otherDelta = Buffer.byteLength(sent.find((s) => s.hostId === other)!.text);
  const a = performance.now();
  const result = assembler.accept(serverFrameSchema.parse(JSON.parse(mine)) as never);
  agentDeltaMs.push(performance.now() - a);
  if (result.kind !== "view") throw new Error(`delta not applied: ${JSON.stringify(result)}`);
}
publisher.stop();

const snapBytes = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
const largest = Math.max(...parts.map((p) => Buffer.byteLength(p)));
const head = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
console.log(
  `tree ${head}; ${cpus().length}x ${cpus()[0]?.model}; load average (1 min) ${loadavg()[0]!.toFixed(2)}`,
);
console.log(
  `environment: ${env.containerIds.length} containers, ${env.hostIds.length} hosts, ${env.serviceIds.length} services`,
);
console.log(`frame limit: ${kb(maxFrameBytes)}`);
console.log(
  `before: whole view per host ${kb(wholeBytes)} (over the limit: ${wholeBytes > maxFrameBytes}); built for all hosts on each change in ${median(wholeMs).toFixed(0)} ms`,
);
console.log(
  `after: snapshot ${parts.length} frames, ${kb(snapBytes)} in all, largest ${kb(largest)}; server ${median(snapMs).toFixed(0)} ms; agent parse+rebuild ${median(agentSnapMs).toFixed(0)} ms`,
);
console.log(
  `after: one health change -> delta ${ownDelta} B to its host, ${otherDelta} B to another; server change->last delta ${median(deltaMs).toFixed(0)} ms; agent apply ${median(agentDeltaMs).toFixed(1)} ms`,
);
console.log(
  `ratio: change bytes per host ${(wholeBytes / otherDelta).toFixed(0)}x smaller; snapshot ${(wholeBytes / snapBytes).toFixed(1)}x smaller than the whole view`,
);
env.store.db.close();
