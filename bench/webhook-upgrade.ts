/**
 * Benchmark 21: webhook trigger -> first new container serving traffic, for a 3-container service.
 *
 * An in-process server and a real agent subprocess on the local engine. The service runs busybox
 * httpd (scale 3, an HTTP health check every 500 ms, healthy after one pass); a `serviceUpgrade`
 * receiver (registry format, tag `latest`, batch 1, interval 0, start-first) is sent a registry v2
 * push envelope. Each run is timed from just before the POST to the receiver's URL, with these
 * parts (the store is read every 5 ms in-process, the new container's address polled over HTTP):
 *   trigger   POST -> its answer (the service is `upgrading`, the upgrade runner queued)
 *   placed    answer -> the first new container's row (scheduled on the host)
 *   pull      the image is present locally (no registry is reachable here): the agent skips the pull
 *   start     row -> `running` (the agent's create + start, reported back)
 *   healthy   `running` -> `healthState: healthy` (the agent's HTTP check)
 *   serving   first HTTP 200 from the new container's own address, from the POST
 * Baseline in the same run: `docker run -d` of the same image and command on Docker's bridge, until
 * its first HTTP 200. Between runs (untimed) the upgrade is finished and the service is active again.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/webhook-upgrade.ts [runs=7]`
 * Needs Docker and the local image corral/busybox:latest; run it under the host lock.
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
  repoRoot,
  revision,
  sleep,
  startLoadMonitor,
} from "./lib/common.ts";

const load = startLoadMonitor();
const runs = Number(process.argv[2] ?? 7);
const base = "corral/busybox:latest";
const registry = "127.0.0.1:5999";
const repo = `bench-webhook-${process.pid}`;
const stackName = `benchhook${process.pid}`;
const shell = 'mkdir -p /www; echo "$HOSTNAME" > /www/index.html; exec httpd -f -p 80 -h /www';

const docker = new Docker();
await docker.getImage(base).inspect();
for (const tag of ["1", "latest"]) await docker.getImage(base).tag({ repo: `${registry}/${repo}`, tag });

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

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 120_000,
  every = 5,
) {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

async function answers(ip: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(500) });
    return res.status === 200;
  } catch {
    return false;
  }
}

type Row = { id: number; state: string; data: Record<string, unknown> };
const containersOf = (serviceId: string) =>
  server.store.all("container", { projectId: pid, dataField: ["serviceId", serviceId] }) as unknown as Row[];

async function cleanup(): Promise<void> {
  agent.kill("SIGTERM");
  await agent.exited;
  const left = await docker.listContainers({ all: true, filters: { label: ["io.corral.bench.webhook"] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  // The service's containers, by name (never by image: other containers share its image).
  const ours = await docker.listContainers({ all: true, filters: { name: [`${stackName}-web-`] } });
  await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
  for (const tag of ["1", "latest"])
    await docker
      .getImage(`${registry}/${repo}:${tag}`)
      .remove()
      .catch(() => {});
}

try {
  await until("the agent", () => server.hub.connectedCount >= 1, 30_000, 50);
  const stack = await api("POST", `/v2-beta/projects/${pid}/stacks`, {
    name: stackName,
    // `$$` is compose's escape of `$` (the shell expands $HOSTNAME, not the compose file).
    dockerCompose: `version: '2'\nservices:\n  web:\n    image: ${registry}/${repo}:1\n    command: ["sh", "-c", ${JSON.stringify(shell.replaceAll("$", "$$$$"))}]\n    labels: {deploy: bench}\n`,
    rancherCompose:
      "version: '2'\nservices:\n  web:\n    scale: 3\n    health_check:\n      port: 80\n      request_line: GET / HTTP/1.0\n      interval: 500\n      healthy_threshold: 1\n      unhealthy_threshold: 2\n",
  });
  const services = (await api("GET", `/v2-beta/projects/${pid}/services?stackId=${stack.id}`)).data as {
    id: string;
  }[];
  const serviceId = services[0]!.id;
  const serviceState = async () => (await api("GET", `/v2-beta/projects/${pid}/services/${serviceId}`)).state;
  await until(
    "web healthy at scale 3",
    // Active is not enough: the three first units must run and be healthy before an upgrade, or
    // the upgrade starts while the host is still joining and finds nowhere to place its units.
    async () => {
      const s = await api("GET", `/v2-beta/projects/${pid}/services/${serviceId}`);
      return s.state === "active" && s.healthState === "healthy" && s.currentScale === 3 ? true : undefined;
    },
    180_000,
    200,
  );
  const receiver = await api("POST", `/v1-webhooks/receivers?projectId=${pid}`, {
    name: "bench",
    driver: "serviceUpgrade",
    serviceUpgradeConfig: {
      serviceSelector: { deploy: "bench" },
      tag: "latest",
      payloadFormat: "registry",
      batchSize: 1,
      intervalMillis: 0,
      startFirst: true,
    },
  });
  const envelope = JSON.stringify({
    events: [{ action: "push", target: { repository: repo, tag: "latest" }, request: { host: registry } }],
  });

  const upgradeOnce = async () => {
    const before = new Set(containersOf(serviceId).map((c) => c.id));
    const t0 = performance.now();
    const res = await fetch(receiver.url as string, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: envelope,
    });
    if (res.status !== 200) throw new Error(`trigger answered ${res.status}: ${await res.text()}`);
    const tAnswer = performance.now();
    const fresh = () => containersOf(serviceId).find((c) => !before.has(c.id));
    const first = await until("a new container row", fresh);
    const tPlaced = performance.now();
    let tRunning = 0;
    let tHealthy = 0;
    let tServing = 0;
    await until("the new container serving and healthy", async () => {
      const c = server.store.get(first.id) as unknown as Row | null;
      const now = performance.now();
      if (!tRunning && c?.state === "running") tRunning = now;
      if (!tHealthy && c?.data.healthState === "healthy") tHealthy = now;
      const ip = (c?.data.managedIp ?? c?.data.primaryIpAddress) as string | undefined;
      if (!tServing && tRunning && ip && (await answers(ip))) tServing = performance.now();
      return tRunning && tHealthy && tServing ? true : undefined;
    });
    await until(
      "upgraded",
      async () => ((await serviceState()) === "upgraded" ? true : undefined),
      180_000,
      50,
    );
    const tUpgraded = performance.now();
    // Untimed: finish, back to active, for the next run.
    await api("POST", `/v2-beta/projects/${pid}/services/${serviceId}?action=finishupgrade`);
    await until(
      "active again",
      async () => ((await serviceState()) === "active" ? true : undefined),
      180_000,
      100,
    );
    return {
      trigger: tAnswer - t0,
      placed: tPlaced - tAnswer,
      start: tRunning - tPlaced,
      healthy: tHealthy - tRunning,
      serving: tServing - t0,
      servingAfterRunning: tServing - tRunning,
      allThree: tUpgraded - t0,
    };
  };

  let n = 0;
  const baselineOnce = async () => {
    const t0 = performance.now();
    const c = await docker.createContainer({
      name: `bench-webhook-direct-${process.pid}-${n++}`,
      Image: `${registry}/${repo}:latest`,
      Cmd: ["sh", "-c", shell],
      Labels: { "io.corral.bench.webhook": "direct" },
      HostConfig: { NetworkMode: "bridge" },
    });
    await c.start();
    const ip = (await c.inspect()).NetworkSettings.Networks.bridge?.IPAddress ?? "";
    await until("direct container serving", async () => ((await answers(ip)) ? true : undefined));
    const t = performance.now() - t0;
    await c.remove({ force: true });
    return t;
  };

  await upgradeOnce(); // warm-up
  await baselineOnce();
  const results: Awaited<ReturnType<typeof upgradeOnce>>[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await upgradeOnce());
    baseline.push(await baselineOnce());
    const r = results.at(-1)!;
    process.stderr.write(
      `run ${i + 1}/${runs}: serving ${fmt(r.serving)} ms (trigger ${fmt(r.trigger)}, placed ${fmt(r.placed)}, start ${fmt(r.start)}, healthy ${fmt(r.healthy)}), all three ${fmt(r.allThree)} ms; docker run ${fmt(baseline.at(-1)!)} ms\n`,
    );
  }
  const m = (k: keyof (typeof results)[number]) => fmt(median(results.map((r) => r[k])));
  console.log(
    `# webhook trigger -> first new container serving, scale 3, ${runs} runs (after 1 warm-up), ${new Date().toISOString()}`,
  );
  console.log(`machine: ${machineLine()}`);
  console.log(revision());
  console.log(load.summary());
  console.log(`first new container serving, from the POST: median ${m("serving")} ms`);
  console.log(
    `  parts (medians): trigger ${m("trigger")} ms, placed ${m("placed")} ms, pull 0 (image local), start ${m("start")} ms, running -> serving ${m("servingAfterRunning")} ms, running -> healthy ${m("healthy")} ms`,
  );
  console.log(`all three containers replaced (service upgraded), from the POST: median ${m("allThree")} ms`);
  console.log(`baseline docker run -d -> first HTTP 200: median ${fmt(median(baseline))} ms`);
  console.log(
    `ratio first-serving / baseline: ${fmt(median(results.map((r) => r.serving)) / median(baseline), 2)}`,
  );
} finally {
  await cleanup();
}
