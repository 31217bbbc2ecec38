/**
 * Load balancer services on the real engine: a stack with a web service behind a Rancher
 * `lb_config` port rule is served through HAProxy; while wrk keeps a continuous load on it, the web
 * service scales up and down and goes through a start-first upgrade; not one request fails.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { waitFor } from "./api-client.ts";
import { type Env, freePort, removeDockerLeftovers, runPrefix, startEnv } from "./harness.ts";

let env: Env;
const lbPort = freePort();
// Named with the run prefix, so the harness removes every container of it afterwards.
const stackName = `${runPrefix}lb`;

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox:latest
    command: sh -c 'echo "$$HOSTNAME $$VERSION" > /www/index.html; exec httpd -f -p 80 -h /www'
    environment:
      VERSION: v1
  lb:
    image: rancher/lb-service-haproxy
    ports: ["${lbPort}:${lbPort}"]
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 2
    health_check:
      port: 80
      request_line: GET /index.html HTTP/1.0
      interval: 500
      healthy_threshold: 1
      unhealthy_threshold: 2
  lb:
    lb_config:
      port_rules:
      - source_port: ${lbPort}
        target_port: 80
        service: web
`;

beforeAll(async () => {
  // wrk (the load) comes from Debian's packages via scripts/host-setup.sh.
  env = await startEnv();
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 60_000);

const p = (path: string) => env.api.project(path);

async function service(name: string) {
  const r = await env.api.request("GET", p(`/services?name=${name}`));
  return r.body.data.find((s: { state: string }) => s.state !== "removed");
}

async function settled(name: string, scale: number) {
  return waitFor(
    `${name} at ${scale} healthy`,
    async () => {
      const s = await service(name);
      return s &&
        s.currentScale === scale &&
        s.healthState === "healthy" &&
        ["active", "upgraded"].includes(s.state)
        ? s
        : null;
    },
    90_000,
  );
}

/** Runs wrk for `seconds` against the balancer; resolves with its summary text. */
function load(seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", ["-t2", "-c8", `-d${seconds}s`, `http://127.0.0.1:${lbPort}/`]);
    let out = "";
    wrk.stdout.on("data", (d) => (out += d));
    wrk.stderr.on("data", (d) => (out += d));
    wrk.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

test("requests through the balancer reach every web container", async () => {
  const created = await env.api.request("POST", p("/stacks"), {
    name: stackName,
    dockerCompose,
    rancherCompose,
  });
  expect(created.status).toBe(201);
  await settled("web", 2);
  await settled("lb", 1);
  const seen = await waitFor(
    "both web containers answering through the balancer",
    async () => {
      const bodies = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`http://127.0.0.1:${lbPort}/`).catch(() => null);
        if (r?.ok) bodies.add((await r.text()).trim());
      }
      return bodies.size === 2 ? bodies : null;
    },
    60_000,
  );
  for (const body of seen) expect(body).toMatch(/ v1$/);
}, 180_000);

test("scaling and a start-first upgrade under continuous load lose no request", async () => {
  const web = await service("web");
  const running = load(40);
  await Bun.sleep(2000);
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 4 });
  await settled("web", 4);
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 1 });
  await settled("web", 1);
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 2 });
  await settled("web", 2);
  const launchConfig = { ...web.launchConfig, environment: { VERSION: "v2" } };
  const up = await env.api.request("POST", p(`/services/${web.id}?action=upgrade`), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 1000, startFirst: true },
  });
  expect(up.status).toBe(202);
  await waitFor(
    "web upgraded",
    async () => ((await service("web")).state === "upgraded" ? true : null),
    120_000,
  );
  await env.api.request("POST", p(`/services/${web.id}?action=finishupgrade`), {});
  await settled("web", 2);
  const summary = await running;
  const requests = Number(/(\d+) requests in/.exec(summary)?.[1] ?? 0);
  console.log(
    `[lb] ${summary
      .split("\n")
      .filter((l) => /requests in|Socket errors|Non-2xx/.test(l))
      .join(" | ")}`,
  );
  expect(requests).toBeGreaterThan(100);
  expect(summary).not.toContain("Socket errors");
  expect(summary).not.toContain("Non-2xx or 3xx responses");
  const body = await (await fetch(`http://127.0.0.1:${lbPort}/`)).text();
  expect(body.trim()).toMatch(/ v2$/);
}, 300_000);

test("a custom config HAProxy refuses shows its message on the service; the balancer keeps serving", async () => {
  const lb = await service("lb");
  const bad = await env.api.request("PUT", p(`/services/${lb.id}`), {
    lbConfig: { ...lb.lbConfig, config: "defaults\n  no_such_keyword 42\n" },
  });
  expect(bad.status).toBe(200);
  const refused = await waitFor(
    "the refusal on the service",
    async () => {
      const s = await service("lb");
      return s.lbConfigError ? s : null;
    },
    30_000,
  );
  expect(refused.lbConfigError).toContain("no_such_keyword");
  const r = await fetch(`http://127.0.0.1:${lbPort}/`);
  expect(r.status).toBe(200);
  // A good config clears the error.
  await env.api.request("PUT", p(`/services/${lb.id}`), { lbConfig: { ...lb.lbConfig, config: "" } });
  await waitFor("the error cleared", async () => ((await service("lb")).lbConfigError ? null : true), 30_000);
}, 90_000);
