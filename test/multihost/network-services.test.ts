/**
 * Host network services across three real hosts joined by the IPsec overlay: DNS answers with dig
 * from a container list a service's containers on every host; a load balancer on host 1 routes by
 * Host header and path to backends on all hosts; and under a continuous wrk load through it the web
 * service scales up and down and goes through a start-first upgrade without one failed request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { type Cluster, startCluster, waitFor } from "./cluster.ts";

let cluster: Cluster;
const stack = "netsvc";
const lbPort = 18500;

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox:latest
    command: sh -c 'echo "web $$HOSTNAME $$VERSION" > /www/index.html; exec httpd -f -p 80 -h /www'
    environment: { VERSION: v1 }
    labels:
      io.rancher.scheduler.affinity:container_label_soft_ne: io.rancher.stack_service.name=${stack}/web
  api:
    image: corral/busybox:latest
    command: sh -c 'mkdir -p /www/api && echo "api $$HOSTNAME" > /www/api/index.html; exec httpd -f -p 80 -h /www'
  probe:
    image: corral/test-tools:latest
    command: sleep 3600
    labels:
      io.rancher.scheduler.affinity:host_label: role=probe
  lb:
    image: rancher/lb-service-haproxy
    ports: ["${lbPort}:${lbPort}"]
    labels:
      io.rancher.scheduler.affinity:host_label: role=lb
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 3
    health_check: { port: 80, request_line: GET /index.html HTTP/1.0, interval: 500, healthy_threshold: 1, unhealthy_threshold: 2 }
  lb:
    lb_config:
      port_rules:
      - { source_port: ${lbPort}, target_port: 80, service: web, hostname: www.example.com }
      - { source_port: ${lbPort}, target_port: 80, service: api, path: /api }
`;

// biome-ignore lint/suspicious/noExplicitAny: API resources are read field by field.
type Any = any;
const p = (path: string) => `/v2-beta/projects/${cluster.projectId}${path}`;

async function service(name: string): Promise<Any> {
  const r = await cluster.api("GET", p(`/services?name=${name}`));
  return r.body.data.find((s: Any) => s.state !== "removed");
}

function settled(name: string, scale: number) {
  return waitFor(
    `${name} at ${scale} healthy units`,
    async () => {
      const s = await service(name);
      return s &&
        s.currentScale === scale &&
        s.healthState === "healthy" &&
        ["active", "upgraded"].includes(s.state)
        ? s
        : null;
    },
    120_000,
  );
}

const lbUrl = () => `http://${cluster.hosts[0]!.ip}:${lbPort}`;

beforeAll(async () => {
  cluster = await startCluster({ hosts: 3, labels: [{ role: "lb" }, { role: "probe" }, {}] });
  const created = await cluster.api("POST", p("/stacks"), { name: stack, dockerCompose, rancherCompose });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  await settled("web", 3);
  await settled("api", 1);
  await settled("probe", 1);
  await settled("lb", 1);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

test("dig from a container on host 2 lists the web containers of every host", async () => {
  const web = await cluster.api("GET", p(`/containers?name_prefix=${stack}-web-&state=running`));
  const expected = web.body.data.map((c: Any) => c.primaryIpAddress).sort();
  expect(new Set(web.body.data.map((c: Any) => c.hostId)).size).toBe(3);
  const host2 = cluster.hosts[1]!;
  // The probe's running container, whatever its number (a unit replaced at start is probe-2).
  const probes = await cluster.api("GET", p(`/containers?name_prefix=${stack}-probe-&state=running`));
  const probe = probes.body.data[0]?.name as string;
  expect(probes.body.data[0]?.hostId).toBe(host2.hostId);
  let last = "";
  const answer = await waitFor(
    () => `dig to list ${JSON.stringify(expected)} (last answer: ${last})`,
    async () => {
      const r = await host2.docker(["exec", probe, "dig", "+short", `web.${stack}.rancher.internal`]);
      const got = r.stdout.split("\n").filter(Boolean).sort();
      last = `${JSON.stringify(got)} ${r.stderr.trim()}`.trim();
      return JSON.stringify(got) === JSON.stringify(expected) ? got : null;
    },
    30_000,
  );
  expect(answer).toHaveLength(3);
}, 60_000);

test("the balancer routes by Host header and by path to backends on every host", async () => {
  const seen = new Set<string>();
  await waitFor(
    "all three web containers behind the balancer",
    async () => {
      const r = await fetch(`${lbUrl()}/`, { headers: { Host: "www.example.com" } }).catch(() => null);
      if (r?.ok) seen.add((await r.text()).trim());
      return seen.size === 3 ? true : null;
    },
    60_000,
    50,
  );
  for (const body of seen) expect(body).toMatch(/^web /);
  // The api service's containers may still be starting when every web one answers: the balancer
  // answers 503 for the path until they do.
  const api = await waitFor(
    "the api path answered by the api service",
    async () => {
      const r = await fetch(`${lbUrl()}/api/`).catch(() => null);
      return r?.ok ? (await r.text()).trim() : null;
    },
    60_000,
    100,
  );
  expect(api).toMatch(/^api /);
  // A Host the rules do not know and a path they do not know: no backend (503).
  const none = await fetch(`${lbUrl()}/`, { headers: { Host: "other.example.com" } });
  expect(none.status).toBe(503);
}, 150_000);

test("scaling and a start-first upgrade across hosts under continuous load lose no request", async () => {
  const web = await service("web");
  const wrk = spawn("wrk", ["-t2", "-c8", "-d45s", "-H", "Host: www.example.com", `${lbUrl()}/`]);
  let out = "";
  wrk.stdout.on("data", (d) => (out += d));
  wrk.stderr.on("data", (d) => (out += d));
  const done = new Promise<number>((resolve) => wrk.on("exit", (code) => resolve(code ?? 1)));
  await Bun.sleep(2000);
  await cluster.api("PUT", p(`/services/${web.id}`), { scale: 5 });
  await settled("web", 5);
  await cluster.api("PUT", p(`/services/${web.id}`), { scale: 2 });
  await settled("web", 2);
  const launchConfig = { ...web.launchConfig, environment: { VERSION: "v2" } };
  const up = await cluster.api("POST", p(`/services/${web.id}?action=upgrade`), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 1000, startFirst: true },
  });
  expect(up.status).toBe(202);
  await waitFor(
    "web upgraded",
    async () => ((await service("web")).state === "upgraded" ? true : null),
    150_000,
  );
  await cluster.api("POST", p(`/services/${web.id}?action=finishupgrade`), {});
  await settled("web", 2);
  expect(await done).toBe(0);
  console.log(
    `[netsvc] ${out
      .split("\n")
      .filter((l) => /requests in|Socket errors|Non-2xx/.test(l))
      .join(" | ")}`,
  );
  expect(Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)).toBeGreaterThan(100);
  expect(out).not.toContain("Socket errors");
  expect(out).not.toContain("Non-2xx or 3xx responses");
}, 300_000);
