/**
 * Compose keys Rancher 1.6 files use, end to end on the real engine: a capitalised service name, a
 * top-level volume with driver_opts (the local driver making a tmpfs) and per_container, a stack's
 * own volume (`<stack>_<volume>_<random>`, one for the stack), both listed by the API and removed
 * from the engine with the stack, log_opt
 * with an empty log_driver, and a 1.x load balancer (rancher/load-balancer-service) converted to
 * port rules that HAProxy serves.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "./api-client.ts";
import {
  docker,
  dockerInspect,
  type Env,
  freePort,
  removeDockerLeftovers,
  runPrefix,
  startEnv,
} from "./harness.ts";

let env: Env;
const lbPort = freePort();
const stackName = `${runPrefix}keys`;
const volume = `${runPrefix}scratch`;

const dockerCompose = `version: '2'
services:
  Web:
    image: corral/busybox:latest
    command: sh -c 'echo "$$HOSTNAME" > /www/index.html; mount > /www/mounts; exec httpd -f -p 80 -h /www'
    volumes:
      - ${volume}:/www
      - data:/data
    log_driver: ''
    log_opt:
      max-size: 2m
  lb:
    image: rancher/load-balancer-service
    ports:
      - "${lbPort}:80"
    links:
      - Web:web
volumes:
  data: {}
  ${volume}:
    driver: local
    per_container: true
    driver_opts:
      type: tmpfs
      device: tmpfs
      o: size=4m
`;
const rancherCompose = `Web:
  scale: 2
`;

beforeAll(async () => {
  env = await startEnv();
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
  for (const name of [volume, stackName]) {
    const vols = (await docker("volume", "ls", "-q", "--filter", `name=${name}`)).stdout.split("\n");
    for (const v of vols.filter(Boolean)) await docker("volume", "rm", "-f", v);
  }
}, 60_000);

const p = (path: string) => env.api.project(path);

async function running(name: string, scale: number) {
  return waitFor(
    `${name} running at ${scale}`,
    async () => {
      const r = await env.api.request("GET", p(`/services?name=${name}`));
      const s = r.body.data.find((x: { state: string }) => x.state !== "removed");
      return s && s.currentScale === scale && s.state === "active" ? s : null;
    },
    90_000,
  );
}

test("capitals, per-container tmpfs volumes, log_opt without a driver and the 1.x balancer", async () => {
  const created = await env.api.request("POST", p("/stacks"), {
    name: stackName,
    dockerCompose,
    rancherCompose,
  });
  expect(created.status).toBe(201);
  expect(created.body.warnings).toEqual([]);
  await running("Web", 2);
  const lb = await running("lb", 1);
  expect(lb.lbConfig.portRules).toEqual([
    { sourcePort: lbPort, targetPort: 80, protocol: "http", service: "Web" },
  ]);

  // Each Web container has its own tmpfs volume, made by the engine with the file's options.
  const names = await waitFor("two running Web containers", async () => {
    const out = (await docker("ps", "--filter", `name=${stackName}-Web`, "--format", "{{.Names}}")).stdout;
    const list = out.split("\n").filter(Boolean);
    return list.length === 2 ? list : null;
  });
  const dataVolumes = new Set<string>();
  for (const name of names) {
    const info = await dockerInspect(name);
    expect(info.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "2m" } });
    const mount = info.Mounts.find((m: { Destination: string }) => m.Destination === "/www");
    expect(mount).toMatchObject({ Type: "volume", Name: `${volume}_${name}`, Driver: "local" });
    const vol = JSON.parse((await docker("volume", "inspect", `${volume}_${name}`)).stdout)[0];
    expect(vol.Options).toEqual({ type: "tmpfs", device: "tmpfs", o: "size=4m" });
    // The stack's own volume: one for the stack, named as Rancher 1.6 named it, listed with the stack.
    const data = info.Mounts.find((m: { Destination: string }) => m.Destination === "/data");
    expect(data?.Name).toMatch(new RegExp(`^${stackName}_data_[a-z0-9]{5}$`));
    dataVolumes.add(data?.Name);
  }
  expect(dataVolumes.size).toBe(1);
  const listed = await env.api.request("GET", p(`/volumes?stackId=${created.body.id}&instanceId_null=`));
  expect(listed.body.data.map((v: { name: string }) => v.name)).toEqual([...dataVolumes]);
  // The per-container volumes are listed too, one per container, with the host that holds them.
  const containers = (await env.api.request("GET", p(`/containers?stackId=${created.body.id}`))).body.data;
  const webIds = Object.fromEntries(
    containers
      .filter((c: { name: string }) => names.includes(c.name))
      .map((c: { name: string; id: string }) => [`${volume}_${c.name}`, c.id]),
  );
  expect(Object.keys(webIds)).toHaveLength(2);
  const perContainer = await waitFor("per-container volumes listed on their host", async () => {
    const r = await env.api.request("GET", p(`/volumes?stackId=${created.body.id}&instanceId_notnull=`));
    const list = r.body.data as { name: string; instanceId: string; hostIds: string[] }[];
    return list.length === 2 && list.every((v) => v.hostIds.length === 1) ? list : null;
  });
  expect(Object.fromEntries(perContainer.map((v) => [v.name, v.instanceId]))).toEqual(webIds);
  for (const v of perContainer)
    expect(v).toMatchObject({
      state: "active",
      driver: "local",
      driverOpts: { type: "tmpfs", device: "tmpfs", o: "size=4m" },
    });

  // Through the converted balancer: both containers answer, and /www is a 4 MiB tmpfs in each.
  const seen = await waitFor(
    "both Web containers answering through the 1.x balancer",
    async () => {
      const bodies = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`http://127.0.0.1:${lbPort}/`).catch(() => null);
        if (r?.ok) bodies.add((await r.text()).trim());
      }
      return bodies.size === 2 ? bodies : null;
    },
    60_000,
    200,
  );
  expect(seen.size).toBe(2);
  const mounts = await (await fetch(`http://127.0.0.1:${lbPort}/mounts`)).text();
  expect(mounts).toMatch(/on \/www type tmpfs \(rw.*size=4096k/);

  // Removing the stack removes its volumes from the engine: each container's and the stack's own.
  const ours = async () =>
    (await docker("volume", "ls", "-q")).stdout
      .split("\n")
      .filter((v) => v.startsWith(`${volume}_`) || dataVolumes.has(v));
  expect((await ours()).sort()).toEqual([...names.map((n) => `${volume}_${n}`), ...dataVolumes].sort());
  expect((await env.api.request("DELETE", p(`/stacks/${created.body.id}`))).status).toBe(200);
  await waitFor(
    "the stack's volumes removed from the engine and the list",
    async () => {
      const rows = (await env.api.request("GET", p(`/volumes?stackId=${created.body.id}`))).body.data;
      const removed = rows.length === 3 && rows.every((v: { state: string }) => v.state === "removed");
      return removed && (await ours()).length === 0;
    },
    90_000,
    500,
  );
}, 300_000);
