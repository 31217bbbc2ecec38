/**
 * Load balancer services on the real engine: a stack with a web service behind a Rancher
 * `lb_config` port rule is served through HAProxy; while wrk keeps a continuous load on it, the web
 * service scales up and down and goes through a start-first upgrade; not one request fails.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
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

/**
 * A wrk script that writes every response that is not 2xx or 3xx to stderr with its wall-clock time
 * and the start of its body, so a failure says which responses failed, when, and who answered
 * (HAProxy's error pages and the web container's differ).
 */
const failedResponses = `
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } wrk_timeval;
int gettimeofday(wrk_timeval *tv, void *tz);
]]
local tv = ffi.new("wrk_timeval")
function response(status, headers, body)
  if status < 200 or status > 399 then
    ffi.C.gettimeofday(tv, nil)
    local at = os.date("!%H:%M:%S", tonumber(tv.tv_sec)) .. string.format(".%03d", math.floor(tonumber(tv.tv_usec) / 1000))
    io.stderr:write(string.format("%s %d %s\\n", at, status, (body or ""):sub(1, 160):gsub("%s+", " ")))
  end
end
`;

/** What one wrk run saw: its summary, and each failed response (time, status, body start). */
interface LoadResult {
  summary: string;
  failed: string[];
}

/** Runs wrk for `seconds` against the balancer. */
function load(seconds: number): Promise<LoadResult> {
  const script = join(env.dir, "failed-responses.lua");
  writeFileSync(script, failedResponses);
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", ["-t2", "-c8", `-d${seconds}s`, "-s", script, `http://127.0.0.1:${lbPort}/`]);
    let summary = "";
    let failed = "";
    wrk.stdout.on("data", (d) => (summary += d));
    wrk.stderr.on("data", (d) => (failed += d));
    wrk.on("exit", (code) =>
      code === 0
        ? resolve({ summary, failed: failed.split("\n").filter(Boolean) })
        : reject(new Error(`wrk exited ${code}: ${summary}${failed}`)),
    );
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
  // When each step began, to place failed responses (and the agent's and HAProxy's logs) in it.
  const steps: string[] = [];
  const step = (name: string) => steps.push(`${new Date().toISOString().slice(11, 23)} ${name}`);
  const running = load(40);
  await Bun.sleep(2000);
  step("scale to 4");
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 4 });
  await settled("web", 4);
  step("scale to 1");
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 1 });
  await settled("web", 1);
  step("scale to 2");
  await env.api.request("PUT", p(`/services/${web.id}`), { scale: 2 });
  await settled("web", 2);
  const launchConfig = { ...web.launchConfig, environment: { VERSION: "v2" } };
  step("upgrade");
  const up = await env.api.request("POST", p(`/services/${web.id}?action=upgrade`), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 1000, startFirst: true },
  });
  expect(up.status).toBe(202);
  await waitFor(
    "web upgraded",
    async () => ((await service("web")).state === "upgraded" ? true : null),
    120_000,
  );
  step("finish upgrade");
  await env.api.request("POST", p(`/services/${web.id}?action=finishupgrade`), {});
  await settled("web", 2);
  step("settled");
  const { summary, failed } = await running;
  const requests = Number(/(\d+) requests in/.exec(summary)?.[1] ?? 0);
  console.log(
    `[lb] ${summary
      .split("\n")
      .filter((l) => /requests in|Socket errors|Non-2xx/.test(l))
      .join(" | ")}`,
  );
  if (failed.length > 0 || /Socket errors|Non-2xx/.test(summary))
    console.log(`[lb] steps (UTC): ${steps.join(" | ")}\n[lb] failed responses:\n${failed.join("\n")}`);
  expect(requests).toBeGreaterThan(100);
  expect(failed).toEqual([]);
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
