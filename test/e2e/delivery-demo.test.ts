/**
 * The delivery demo end to end on the real engine, with real parts only: a small web app image is
 * built with the local Docker engine and pushed (tag v1) to a private TLS registry with htpasswd
 * auth; the registry and its credentials are added to the environment; a stack from compose runs it
 * behind a load balancer whose HTTPS certificate for the app's hostname is issued by an ACME CA
 * (pebble) through the balancer's HTTP-01 answer; it is reached over verified HTTPS and scaled to 3.
 * Then tag v2 is pushed: the registry's own v2 notification calls a serviceUpgrade webhook receiver
 * (payload format registry) and the service upgrades in service, while a client polling through the
 * balancer over HTTPS the whole time sees v2 and not one failed request.
 *
 * The registry's notification endpoint is part of its configuration file, read at start: the
 * receiver is therefore created first and the registry started with its URL. Its v1 push (and the
 * agent's pulls) reach the receiver too and do nothing (the receiver reacts to tag v2 only).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { request } from "node:https";
import { execa } from "execa";
import { startRegistry, type TestRegistry } from "../../server/testing/registry.ts";
import { type Env, freePort, removeDockerLeftovers, runPrefix, startEnv, waitFor } from "./harness.ts";
import { type Pebble, startPebble } from "./pebble.ts";

let env: Env;
let pebble: Pebble;
let registry: TestRegistry;
let receiverUrl = "";
let receiverId = "";
let root = "";
const httpPort = freePort();
const httpsPort = freePort();
const domain = "app.corral-demo.test";
const stackName = `${runPrefix}demo`;
const local = `corral-test-demoapp:${runPrefix.slice(4, 10)}`;
const repo = `demo/${runPrefix}web`;
const selector = { deploy: `${runPrefix}demo` };
const p = (path: string) => env.api.project(path);

/** Builds the app here (busybox httpd serving its version) and pushes it as `repo:tag`. */
async function buildAndPush(tag: string): Promise<string> {
  const dockerfile = [
    "FROM corral/busybox:latest",
    `RUN mkdir -p /www && echo ${tag} > /www/index.html`,
    'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]',
    "",
  ].join("\n");
  const built = await execa("docker", ["build", "-q", "-t", local, "-"], {
    input: dockerfile,
    reject: false,
  });
  if (built.exitCode !== 0) throw new Error(`docker build: ${built.stderr}`);
  const ref = await registry.push(local, `${repo}:${tag}`);
  // Untagged here again, so the agent pulls it from the registry with the environment's credentials.
  await execa("docker", ["rmi", ref], { reject: false });
  return ref;
}

beforeAll(async () => {
  pebble = await startPebble(httpPort);
  // A failed validation is retried after 5 s here, not the default minute: one transient failure
  // (a balancer still coming up) must not take the deploy past its deadline.
  env = await startEnv({ serverEnv: { CORRAL_ACME_CA_FILE: pebble.apiCaFile }, acmeRetryBaseMs: 5000 });
  const receiver = await env.api.request("POST", `/v1-webhooks/receivers?projectId=${env.api.projectId}`, {
    name: "registry-push",
    driver: "serviceUpgrade",
    serviceUpgradeConfig: {
      serviceSelector: selector,
      tag: "v2",
      payloadFormat: "registry",
      batchSize: 1,
      intervalMillis: 0,
      startFirst: true,
    },
  });
  if (receiver.status !== 201) throw new Error(`receiver: ${JSON.stringify(receiver.body)}`);
  receiverUrl = receiver.body.url;
  receiverId = receiver.body.id;
  registry = await startRegistry({ listen: "127.0.0.1", notify: { url: receiverUrl } });
  await buildAndPush("v1");
  root = await pebble.root();
}, 180_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
  const refs = ["v1", "v2"].map((t) => `${registry?.address}/${repo}:${t}`);
  await execa("docker", ["rmi", "--force", local, ...refs], { reject: false });
  await registry?.stop();
  await pebble?.stop();
}, 120_000);

/** One HTTPS request through the balancer on a new connection, verified against pebble's root. */
function httpsGet(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: httpsPort,
        path: "/",
        servername: domain,
        headers: { host: domain },
        ca: root,
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

async function web() {
  const r = await env.api.request("GET", p(`/services?name=web`));
  return r.body.data.find((s: { state: string }) => s.state !== "removed");
}

async function settled(scale: number, states = ["active"]) {
  return waitFor(
    `web at ${scale} healthy`,
    async () => {
      const s = await web();
      return s && s.currentScale === scale && s.healthState === "healthy" && states.includes(s.state)
        ? s
        : null;
    },
    120_000,
  );
}

/** A client polling through the balancer until stopped: every answer, every failure, when v2 came. */
function poll() {
  const seen = { requests: 0, failures: [] as string[], versions: new Map<string, number>(), firstV2: 0 };
  let polling = true;
  const done = (async () => {
    while (polling) {
      try {
        const r = await httpsGet();
        seen.requests++;
        if (r.status !== 200) seen.failures.push(`${new Date().toISOString()} status ${r.status}`);
        else {
          seen.versions.set(r.body, (seen.versions.get(r.body) ?? 0) + 1);
          if (r.body === "v2" && !seen.firstV2) seen.firstV2 = Date.now();
        }
      } catch (e) {
        seen.failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
      }
      await Bun.sleep(20);
    }
  })();
  return {
    seen,
    stop: async () => {
      polling = false;
      await done;
      return seen;
    },
  };
}

let client: ReturnType<typeof poll> | undefined;

/** What stands between the deploy and an HTTPS answer: the certificate, services and containers. */
async function deployState(certId: string): Promise<string> {
  const cert = (await env.api.request("GET", p(`/certificates/${certId}`))).body;
  const services = (await env.api.request("GET", p(`/services?limit=-1`))).body.data ?? [];
  const containers = (await env.api.request("GET", p(`/containers?limit=-1`))).body.data ?? [];
  const line = (r: Record<string, unknown>) =>
    `${r.name}: ${r.state} ${r.healthState ?? ""} ${r.transitioningMessage ?? ""}`.trim();
  return [
    `certificate: ${cert.state} ${cert.transitioningMessage ?? ""}`,
    ...services.map(line),
    ...containers.map(line),
  ].join("\n");
}

test("from a private registry, behind an ACME certificate, reachable over HTTPS, scaled to 3", async () => {
  const reg = await env.api.request("POST", p("/registries"), { serverAddress: registry.address });
  expect(reg.status).toBe(201);
  const cred = await env.api.request("POST", p("/registrycredentials"), {
    registryId: reg.body.id,
    publicValue: registry.username,
    secretValue: registry.password,
  });
  expect(cred.status).toBe(201);
  const cert = await env.api.request("POST", p("/certificates"), {
    name: "app",
    acme: true,
    domains: [domain],
    email: "ops@corral-demo.test",
    acmeDirectoryUrl: pebble.directoryUrl,
  });
  expect(cert.status).toBe(201);
  const deployed = Date.now();
  let lastError = "";
  let state = "";
  const stack = await env.api.request("POST", p("/stacks"), {
    name: stackName,
    dockerCompose: `version: '2'
services:
  web:
    image: ${registry.address}/${repo}:v1
    labels: ${JSON.stringify(selector)}
  lb:
    image: rancher/lb-service-haproxy
    ports: ["${httpPort}:${httpPort}", "${httpsPort}:${httpsPort}"]
`,
    rancherCompose: `version: '2'
services:
  web:
    scale: 1
    health_check:
      port: 80
      request_line: GET /index.html HTTP/1.0
      interval: 500
      healthy_threshold: 1
      unhealthy_threshold: 2
  lb:
    lb_config:
      default_cert: app
      port_rules:
      - {source_port: ${httpPort}, target_port: 80, hostname: ${domain}, service: web}
      - {source_port: ${httpsPort}, target_port: 80, protocol: https, hostname: ${domain}, service: web}
`,
  });
  expect(stack.status).toBe(201);
  const first = await waitFor(
    () => `HTTPS through the balancer with pebble's root (last: ${lastError})\n${state}\n${pebble.logs()}`,
    async () => {
      const r = await httpsGet().catch((e: Error) => {
        lastError = e.message;
        return null;
      });
      if (!r) state = await deployState(cert.body.id);
      return r;
    },
    150_000,
    500,
  );
  console.log(`[demo] deploy -> HTTPS reachable: ${Date.now() - deployed} ms (pull, ACME order, LB)`);
  expect(first).toEqual({ status: 200, body: "v1" });
  const issued = (await env.api.request("GET", p(`/certificates/${cert.body.id}`))).body;
  expect([issued.state, issued.CN]).toEqual(["active", domain]);
  expect(issued.issuer).toContain("Pebble Intermediate");

  client = poll();
  const s = await settled(1);
  expect((await env.api.request("PUT", p(`/services/${s.id}`), { scale: 3 })).status).toBe(200);
  await settled(3);
}, 240_000);

test("a push of v2 upgrades the service through the registry's notification, no request failing", async () => {
  expect(client).toBeDefined();
  const polling = client!;
  let pushedAt = 0;
  try {
    await buildAndPush("v2");
    pushedAt = Date.now();
    await waitFor(
      () => `v2 served (${JSON.stringify([...polling.seen.versions])})`,
      () => (polling.seen.firstV2 ? true : null),
      120_000,
      100,
    );
    const upgraded = await settled(3, ["upgraded"]);
    expect(upgraded.launchConfig.imageUuid).toBe(`docker:${registry.address}/${repo}:v2`);
    expect((await env.api.request("POST", p(`/services/${upgraded.id}?action=finishupgrade`))).status).toBe(
      202,
    );
    await settled(3);
    // Once the upgrade is finished, v1 is served no more.
    const v1Before = polling.seen.versions.get("v1") ?? 0;
    const requestsBefore = polling.seen.requests;
    await waitFor("20 more answers", () => (polling.seen.requests >= requestsBefore + 20 ? true : null));
    expect(polling.seen.versions.get("v1") ?? 0).toBe(v1Before);
  } finally {
    await polling.stop();
  }
  const { requests, failures, versions, firstV2 } = polling.seen;
  // The registry calls the receiver for every pull and push: the trigger is the one that upgraded.
  const audit = await env.api.request(
    "GET",
    p(`/auditlogs?eventType=webhook.trigger&resourceId=${receiverId}&limit=1000`),
  );
  const calls = audit.body.data as { created: string; description: string; responseCode: number }[];
  const upgrade = calls.filter((c) => c.description.includes("web: upgrading to"));
  expect(upgrade.map((c) => c.responseCode)).toEqual([200]);
  const triggered = Date.parse(upgrade[0]!.created);
  console.log(
    `[demo] push v2 returned -> v2 served: ${firstV2 - pushedAt} ms; webhook trigger -> v2 served: ` +
      `${firstV2 - triggered} ms; ${calls.length} registry notifications; ${requests} HTTPS requests, ` +
      `answers ${JSON.stringify([...versions])}, ${failures.length} failed`,
  );
  if (failures.length > 0) console.log(`[demo] failures:\n${failures.join("\n")}`);
  expect(failures).toEqual([]);
  expect(versions.get("v2")).toBeGreaterThan(20);
}, 240_000);
