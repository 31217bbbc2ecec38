/**
 * Benchmark: scale a service from 0 to 60 on three test hosts, against the same 60 create+start
 * calls made straight to those hosts' Docker engines with the same concurrency, in the same run.
 *
 * - Hosts: the multi-host harness (test/multihost/cluster.ts): three containers on a test network,
 *   each running its own dockerd and a real Corral agent, joined to one in-process server.
 * - Measured: `PUT /v2-beta/projects/<pid>/services/<id> {scale: 60}` on a service at scale 0, until
 *   the API shows 60 containers `running` (polled every 50 ms). Then scaled back to 0 and cleaned.
 * - Baseline: 60 `create` + `start` calls with dockerode, 20 per host, all in flight at once (the
 *   orchestrator also issues every unit at once), straight to each host's dockerd socket (reached
 *   through /proc/<pid>/root of the host container), same image and command.
 * - Rounds alternate baseline and Corral; the figure is the median ratio of the rounds.
 *
 * Target: Corral's time <= 1.3x the baseline's.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/scale-60.ts [rounds=3] [count=60]`
 */
import { execFileSync } from "node:child_process";
import Docker from "dockerode";
import { startCluster } from "../test/multihost/cluster.ts";
import { fmt, machineLine, median, revision } from "./lib/common.ts";

const rounds = Number(process.argv[2] ?? 3);
const count = Number(process.argv[3] ?? 60);
const image = "corral/busybox:latest";

const cluster = await startCluster({ hosts: 3 });
const p = (path: string) => `/v2-beta/projects/${cluster.projectId}${path}`;

/** dockerode clients for each host's own engine. */
const engines = cluster.hosts.map((h) => {
  const pid = execFileSync("docker", ["inspect", "-f", "{{.State.Pid}}", h.containerName]).toString().trim();
  return new Docker({ socketPath: `/proc/${pid}/root/var/run/docker.sock` });
});

async function direct(round: number): Promise<number> {
  const t0 = performance.now();
  const made: { engine: Docker; id: string }[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const engine = engines[i % engines.length]!;
      const c = await engine.createContainer({
        Image: image,
        Cmd: ["sleep", "3600"],
        name: `bench-direct-${round}-${i}`,
      });
      await c.start();
      made.push({ engine, id: c.id });
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(made.map(({ engine, id }) => engine.getContainer(id).remove({ force: true })));
  return ms;
}

async function running(serviceId: string): Promise<number> {
  const r = await cluster.api("GET", p(`/containers?serviceId=${serviceId}&state=running&limit=1000`));
  return r.body.data.length;
}

async function viaCorral(serviceId: string): Promise<number> {
  const t0 = performance.now();
  await cluster.api("PUT", p(`/services/${serviceId}`), { scale: count });
  while ((await running(serviceId)) < count) await Bun.sleep(50);
  const ms = performance.now() - t0;
  await cluster.api("PUT", p(`/services/${serviceId}`), { scale: 0 });
  while (
    (await cluster.api("GET", p(`/containers?serviceId=${serviceId}&state_ne=removed&limit=1000`))).body.data
      .length > 0
  ) {
    await Bun.sleep(100);
  }
  return ms;
}

try {
  const stack = await cluster.api("POST", p("/stacks"), {
    name: "bench",
    dockerCompose: `services:\n  app:\n    image: ${image}\n    command: sleep 3600\n`,
    rancherCompose: "services:\n  app:\n    scale: 0\n",
  });
  if (stack.status !== 201) throw new Error(`stack: ${JSON.stringify(stack.body)}`);
  const svc = (await cluster.api("GET", p("/services?name=app"))).body.data[0];
  const ratios: number[] = [];
  const corral: number[] = [];
  const baseline: number[] = [];
  await direct(-1); // warm-up: image layers and engine caches
  for (let r = 0; r < rounds; r++) {
    const b = await direct(r);
    const c = await viaCorral(svc.id);
    baseline.push(b);
    corral.push(c);
    ratios.push(c / b);
    console.log(`round ${r + 1}: direct ${fmt(b)} ms, corral ${fmt(c)} ms, ratio ${fmt(c / b, 2)}`);
  }
  console.log(machineLine());
  console.log(`revision ${revision()}`);
  console.log(
    `scale 0 -> ${count} on 3 hosts: corral median ${fmt(median(corral))} ms, direct median ${fmt(median(baseline))} ms, median ratio ${fmt(median(ratios), 2)} (target <= 1.3: ${median(ratios) <= 1.3 ? "met" : "MISSED"})`,
  );
} finally {
  await cluster.stop();
}
