// Finding 2 of issue 12: `PUT /v2-beta/services/<id> {"scale":10000}` with one host froze every API
// request for 30 s (orchestrator passes ran synchronously, and each unit's address allocation
// scanned every container row of the host). Now passes work in short batches that yield to the
// event loop, addresses come from an index, a host takes no more units than its /24 has addresses
// for (and the service says so), and a scale-up to 10,000 over enough hosts leaves /ping fast.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { expectStatus, startTestServer, until } from "../api/harness.ts";
import {
  closeRig,
  currentScale,
  PingSampler,
  percentile,
  runningCount,
  type ScaleRig,
  scaleRig,
} from "./scale-probe.ts";

/**
 * p99 of /ping during the scale-up. The target is 50 ms on a quiet machine; the bound leaves room
 * for a busy 2-core machine running other suites beside this one (load averages of 10 to 60 were
 * seen while it was written, with an idle /ping p99 of 20 to 90 ms): 250 ms, or three times the
 * p99 measured just before without a scale-up, whichever is more. Before the fix the one-host
 * test never got an answer within 300 s. bench/scale-10000.ts gives the figures.
 */
const p99Floor = 250;

let server: RunningServer;
const rigs: ScaleRig[] = [];

beforeAll(() => {
  server = startTestServer({ env: { CORRAL_MAX_SERVICE_SCALE: "10000" }, timings: {} });
  // The hostState publisher sends every host the whole environment's network view after each
  // change: with 10,000 containers that is finding 3 of the same issue, fixed and measured apart.
  // This test measures what the scale-up itself costs the API.
  server.publisher.stop();
});

afterAll(async () => {
  for (const rig of rigs) await closeRig(rig);
  await server.stop();
});

/** The bound for this run: see p99Floor. */
async function p99Bound(): Promise<number> {
  const idle = new PingSampler(server.url);
  await Bun.sleep(2000);
  const baseline = percentile(await idle.stop(), 99);
  return Math.max(p99Floor, 3 * baseline);
}

/** Scales the rig's service to `scale` and samples /ping until `done` says so. */
async function scaleAndSample(rig: ScaleRig, scale: number, done: () => Promise<boolean>, timeoutMs: number) {
  const bound = await p99Bound();
  const sampler = new PingSampler(server.url);
  const t0 = performance.now();
  const put = await rig.admin.put(`/v2-beta/services/${rig.serviceId}`, { scale });
  const putMs = performance.now() - t0;
  expectStatus(put, 200);
  try {
    await until("the scale-up to settle", done, timeoutMs, 200);
  } finally {
    await sampler.stop();
  }
  const samples = sampler.samples;
  return { putMs, samples, bound, p99: percentile(samples, 99), max: Math.max(...samples) };
}

test("scale 10,000 on one host: the API stays responsive and the service says the host is full", async () => {
  const rig = await scaleRig(server, 1);
  rigs.push(rig);
  const result = await scaleAndSample(
    rig,
    10_000,
    async () => {
      const svc = (await rig.admin.get(`/v2-beta/services/${rig.serviceId}`)).body;
      return (
        currentScale(server, rig.serviceId) >= 253 && /no free container address/.test(svc.schedulingMessage)
      );
    },
    60_000,
  );
  console.log(
    `one host: PUT ${result.putMs.toFixed(0)} ms, /ping p99 ${result.p99.toFixed(1)} ms (bound ${result.bound.toFixed(0)}), max ${result.max.toFixed(0)} ms, ${result.samples.length} samples`,
  );
  expect(result.putMs).toBeLessThan(1000);
  expect(result.p99).toBeLessThan(result.bound);
  const svc = (await rig.admin.get(`/v2-beta/services/${rig.serviceId}`)).body;
  expect(svc.schedulingMessage).toContain("253 of 253 in use");
  // No more units than the host has addresses for: none waits in `error` for an address.
  expect(runningCount(server, rig.serviceId)).toBe(253);
  const errored = server.store.db
    .query<{ n: number }, [string]>(
      `SELECT count(*) AS n FROM resource WHERE type = 'container' AND state != 'removed'
         AND state != 'running' AND json_extract(data, '$.serviceId') = ?`,
    )
    .get(rig.serviceId)!.n;
  expect(errored).toBe(0);
  expectStatus(await rig.admin.put(`/v2-beta/services/${rig.serviceId}`, { scale: 0 }), 200);
  await until("scaled back to 0", () => runningCount(server, rig.serviceId) === 0, 60_000, 200);
}, 180_000);

test("scale 10,000 over 40 hosts: every unit is placed and /ping p99 stays low meanwhile", async () => {
  const rig = await scaleRig(server, 40);
  rigs.push(rig);
  const result = await scaleAndSample(
    rig,
    10_000,
    async () => currentScale(server, rig.serviceId) >= 10_000,
    240_000,
  );
  console.log(
    `40 hosts: PUT ${result.putMs.toFixed(0)} ms, /ping p99 ${result.p99.toFixed(1)} ms (bound ${result.bound.toFixed(0)}), max ${result.max.toFixed(0)} ms, ${result.samples.length} samples`,
  );
  expect(result.putMs).toBeLessThan(1000);
  expect(result.p99).toBeLessThan(result.bound);
}, 360_000);
