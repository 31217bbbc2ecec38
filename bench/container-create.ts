/**
 * Benchmark 1: container create+start through Corral (API -> hub -> agent -> Docker) against the
 * same create+start straight through dockerode, on the same machine, in the same run.
 *
 * - Corral path: an in-process server (`startServer({port: 0, dataDir: null})`) and a real agent
 *   subprocess (`bun bin/corral.ts agent --url U --token T --state DIR`). One run is timed from just
 *   before `POST /v2-beta/projects/<pid>/containers` until the `/v2-beta/subscribe` websocket carries
 *   the container's `resource.change` with state `running`.
 * - Baseline: dockerode `createContainer` + `start` with the same image, command and labels.
 * - Diagnostic (not the baseline): the exact Docker call sequence the agent makes for one create
 *   (list by label, image inspect, create, inspect, start, inspect), straight through dockerode, to
 *   separate Docker work from Corral's own overhead.
 *
 * Runs alternate (Corral, baseline, diagnostic) after warm-up runs; every container is removed right
 * after its run, outside the timed section. Target: median(Corral) / median(baseline) <= 1.2.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/container-create.ts [runs=20]`
 * Needs Docker and the local image corral/busybox:latest.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRegistrationToken, startServer } from "@corral/server";
import Docker from "dockerode";
import {
  basic,
  benchAdminKey,
  bunPath,
  fmt,
  machineLine,
  median,
  quantile,
  repoRoot,
  revision,
  sleep,
  startLoadMonitor,
} from "./lib/common.ts";

const load = startLoadMonitor();
const runs = Number(process.argv[2] ?? 20);
const warmups = 3;
const image = "corral/busybox:latest";
const command = ["sleep", "3600"];
const benchLabel = "io.corral.bench";

const docker = new Docker();
await docker.getImage(image).inspect(); // fails loudly when the image is missing

const key = benchAdminKey();
const server = startServer({
  port: 0,
  hostname: "127.0.0.1",
  dataDir: null,
  env: { CORRAL_ADMIN_ACCESS_KEY: key.access, CORRAL_ADMIN_SECRET_KEY: key.secret },
});
const auth = basic(key.access, key.secret);
const pid = server.admin.defaultProjectId;
const token = defaultRegistrationToken(server.store);
if (!token) throw new Error("no default registration token");

const stateDir = mkdtempSync(join(tmpdir(), "corral-bench-agent-"));
const agent = Bun.spawn(
  [bunPath, "bin/corral.ts", "agent", "--url", server.url, "--token", token, "--state", stateDir],
  { cwd: repoRoot, stdout: "ignore", stderr: "ignore" },
);

async function cleanup(): Promise<void> {
  agent.kill("SIGTERM");
  await agent.exited;
  const left = await docker.listContainers({ all: true, filters: { label: [benchLabel] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

try {
  const deadline = performance.now() + 30_000;
  while (server.hub.connectedCount < 1) {
    if (performance.now() > deadline) throw new Error("the agent did not connect within 30 s");
    await sleep(50);
  }
  await sleep(1000); // let the agent's hello and first resync settle

  // Every state change of every container, as the subscribe websocket reports it.
  const seen = new Map<string, { state: string; at: number; waiters: (() => void)[] }>();
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/v2-beta/subscribe?projectId=${pid}`, {
    headers: { Authorization: auth },
  } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("subscribe websocket failed"));
  });
  ws.onmessage = (ev) => {
    const at = performance.now();
    const msg = JSON.parse(String(ev.data)) as {
      name: string;
      resourceType?: string;
      resourceId?: string;
      data?: { resource?: { state?: string } };
    };
    if (msg.name !== "resource.change" || msg.resourceType !== "container" || !msg.resourceId) return;
    const state = msg.data?.resource?.state ?? "";
    const entry = seen.get(`${msg.resourceId}/${state}`) ?? { state, at, waiters: [] };
    entry.at = at;
    seen.set(`${msg.resourceId}/${state}`, entry);
    for (const w of entry.waiters.splice(0)) w();
  };
  const reached = (id: string, state: string, timeoutMs = 60_000): Promise<number> =>
    new Promise((resolve, reject) => {
      const k = `${id}/${state}`;
      const hit = seen.get(k);
      if (hit?.waiters && hit.at) return resolve(hit.at);
      const entry = hit ?? { state, at: 0, waiters: [] };
      seen.set(k, entry);
      const timer = setTimeout(
        () => reject(new Error(`${id} not ${state} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      entry.waiters.push(() => {
        clearTimeout(timer);
        resolve(entry.at);
      });
    });

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { Authorization: auth, "Content-Type": "application/json" },
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };

  let n = 0;
  /** Corral: POST create, until the subscribe stream says running. */
  const viaCorral = async (): Promise<number> => {
    const t0 = performance.now();
    const created = await api(`/v2-beta/projects/${pid}/containers`, {
      method: "POST",
      body: JSON.stringify({ imageUuid: `docker:${image}`, command, labels: { [benchLabel]: "api" } }),
    });
    const id = created.id as string;
    const t1 = await reached(id, "running");
    // Clean-up, outside the timed section: remove through the API and wait until it is gone.
    await api(`/v2-beta/projects/${pid}/containers/${id}?action=remove`, { method: "POST" });
    await reached(id, "removed");
    return t1 - t0;
  };
  /** Baseline: dockerode create + start. */
  const direct = async (): Promise<number> => {
    const name = `bench-direct-${process.pid}-${n++}`;
    const t0 = performance.now();
    const c = await docker.createContainer({
      name,
      Image: image,
      Cmd: command,
      Labels: { [benchLabel]: "direct" },
      HostConfig: { NetworkMode: "bridge" },
    });
    await c.start();
    const t1 = performance.now();
    await c.remove({ force: true });
    return t1 - t0;
  };
  /** Diagnostic: the agent's own Docker call sequence for instance.create with start. */
  const agentSequence = async (): Promise<number> => {
    const name = `bench-seq-${process.pid}-${n++}`;
    const t0 = performance.now();
    await docker.listContainers({ all: true, filters: { label: [`io.corral.container.id=${name}`] } });
    await docker.getImage(image).inspect();
    const c = await docker.createContainer({
      name,
      Image: image,
      Cmd: command,
      Labels: { [benchLabel]: "sequence" },
      HostConfig: { NetworkMode: "bridge" },
    });
    await c.inspect();
    await c.start();
    await c.inspect();
    const t1 = performance.now();
    await c.remove({ force: true });
    return t1 - t0;
  };

  for (let i = 0; i < warmups; i++) {
    await viaCorral();
    await direct();
    await agentSequence();
  }
  const corral: number[] = [];
  const baseline: number[] = [];
  const sequence: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate the order so neither side always runs right after the other's clean-up.
    if (i % 2 === 0) {
      corral.push(await viaCorral());
      baseline.push(await direct());
    } else {
      baseline.push(await direct());
      corral.push(await viaCorral());
    }
    sequence.push(await agentSequence());
    process.stderr.write(
      `run ${i + 1}/${runs}: corral ${fmt(corral.at(-1)!)} ms, dockerode ${fmt(baseline.at(-1)!)} ms, agent sequence ${fmt(sequence.at(-1)!)} ms\n`,
    );
  }
  ws.close();

  const ratio = median(corral) / median(baseline);
  const stats = (xs: number[]) =>
    `median ${fmt(median(xs))} ms (min ${fmt(Math.min(...xs))}, p90 ${fmt(quantile(xs, 0.9))}, max ${fmt(Math.max(...xs))})`;
  console.log(
    `# container create+start, ${runs} runs each (after ${warmups} warm-ups), ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  console.log(`corral API -> agent -> Docker: ${stats(corral)}`);
  console.log(`baseline dockerode create+start: ${stats(baseline)}`);
  console.log(`diagnostic: agent's Docker call sequence via dockerode: ${stats(sequence)}`);
  console.log(
    `ratio corral/baseline: ${fmt(ratio, 2)} (target <= 1.2: ${ratio <= 1.2 ? "MET" : "MISSED"}); ` +
      `ratio sequence/baseline: ${fmt(median(sequence) / median(baseline), 2)}`,
  );
} finally {
  await cleanup();
}
