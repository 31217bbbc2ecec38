/**
 * ACME certificates on the real engine against a real ACME CA (Debian's pebble): a certificate
 * with `acme: true` is issued for a load balancer hostname, HTTP-01 answered by the balancer's
 * HAProxy on its plain-HTTP port; HTTPS through the balancer verifies against pebble's root; the
 * certificate renews by itself before it expires (pebble issues 60-second certificates here) and on
 * the `renew` action, while a client connecting anew for every request sees every swap and no
 * failed request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { request } from "node:https";
import { type Env, freePort, removeDockerLeftovers, runPrefix, startEnv, waitFor } from "./harness.ts";
import { type Pebble, startPebble } from "./pebble.ts";

let env: Env;
let pebble: Pebble;
const httpPort = freePort();
const httpsPort = freePort();
const domain = "shop.corral-acme.test";
const stackName = `${runPrefix}acme`;
const validitySeconds = 60;

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox:latest
    command: sh -c 'echo "$$HOSTNAME" > /www/index.html; exec httpd -f -p 80 -h /www'
  lb:
    image: rancher/lb-service-haproxy
    ports: ["${httpPort}:${httpPort}", "${httpsPort}:${httpsPort}"]
`;
const rancherCompose = `version: '2'
services:
  lb:
    lb_config:
      default_cert: shop
      port_rules:
      - source_port: ${httpPort}
        target_port: 80
        service: web
      - source_port: ${httpsPort}
        target_port: 80
        protocol: https
        service: web
`;

beforeAll(async () => {
  pebble = await startPebble(httpPort, { certificateValidityPeriod: validitySeconds });
  env = await startEnv({ serverEnv: { CORRAL_ACME_CA_FILE: pebble.apiCaFile } });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
  await pebble?.stop();
}, 60_000);

const p = (path: string) => env.api.project(path);

/** One HTTPS request on a new connection, verified against `ca` for `domain`: status and leaf serial. */
function httpsGet(ca: string): Promise<{ status: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: httpsPort,
        path: "/",
        servername: domain,
        headers: { host: domain },
        ca,
        agent: false,
      },
      (res) => {
        const serial = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().serialNumber;
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, serial }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

async function certificate(id: string) {
  return (await env.api.request("GET", p(`/certificates/${id}`))).body;
}

let certId = "";
let root = "";

test("an ACME certificate is issued through the balancer's HTTP-01 answer and served over verified HTTPS", async () => {
  const created = await env.api.request("POST", p("/certificates"), {
    name: "shop",
    acme: true,
    domains: [domain],
    email: "ops@corral-acme.test",
    acmeDirectoryUrl: pebble.directoryUrl,
  });
  expect(created.status).toBe(201);
  expect(created.body.state).toBe("pending");
  const askedAt = Date.now();
  certId = created.body.id;
  const stack = await env.api.request("POST", p("/stacks"), {
    name: stackName,
    dockerCompose,
    rancherCompose,
  });
  expect(stack.status).toBe(201);
  let last: Record<string, unknown> = {};
  const active = await waitFor(
    () => `the certificate active (${JSON.stringify(last)})\n${pebble.logs()}`,
    async () => {
      last = await certificate(certId);
      return last.state === "active" ? last : null;
    },
    120_000,
    200,
  );
  console.log(`[acme] create -> active: ${Date.now() - askedAt} ms (includes starting the stack)`);
  expect(active.CN).toBe(domain);
  expect(active.subjectAlternativeNames).toEqual([domain]);
  expect(active.issuer).toContain("Pebble Intermediate");
  expect(active.key).toBeNull();
  root = await pebble.root();
  const first = await waitFor(
    "HTTPS through the balancer with the pebble root",
    () => httpsGet(root).catch(() => null),
    60_000,
    200,
  );
  expect(first.status).toBe(200);
  // A client that does not trust pebble's root is refused: the chain really is pebble's.
  await expect(httpsGet(pebble.apiCaPem)).rejects.toThrow();
}, 240_000);

test("renewals (by expiry and by the renew action) swap the certificate with no failed request", async () => {
  const failures: string[] = [];
  const serials: string[] = [];
  let requests = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const r = await httpsGet(root);
        requests++;
        if (r.status !== 200) failures.push(`status ${r.status}`);
        if (serials.at(-1) !== r.serial) serials.push(r.serial);
      } catch (e) {
        failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
      }
    }
  })();
  try {
    // The 60 s certificate renews at half its life without being asked.
    await waitFor("a renewal by expiry", () => (serials.length >= 2 ? true : null), 90_000, 200);
    const renewAsked = Date.now();
    const renew = await env.api.request("POST", p(`/certificates/${certId}?action=renew`), {});
    expect(renew.status).toBe(202);
    await waitFor("the renewal asked for", () => (serials.length >= 3 ? true : null), 60_000, 200);
    console.log(`[acme] renew action -> new certificate served: ${Date.now() - renewAsked} ms`);
  } finally {
    polling = false;
    await poller;
  }
  console.log(
    `[acme] ${requests} HTTPS requests, ${serials.length} certificates seen, ${failures.length} failed`,
  );
  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThan(50);
  const c = await certificate(certId);
  expect(["active", "issuing"]).toContain(c.state);
}, 200_000);

test("an order the CA cannot take ends in error with the reason, and is retried later", async () => {
  const closed = freePort();
  const created = await env.api.request("POST", p("/certificates"), {
    name: "unreachable",
    acme: true,
    domains: [`other.${domain}`],
    acmeDirectoryUrl: `https://127.0.0.1:${closed}/dir`,
  });
  expect(created.status).toBe(201);
  const failed = await waitFor(
    "the certificate in error",
    async () => {
      const c = await certificate(created.body.id);
      return c.state === "error" ? c : null;
    },
    60_000,
    200,
  );
  expect(failed.transitioning).toBe("error");
  expect(failed.transitioningMessage).toContain("issuance failed:");
  expect(failed.transitioningMessage).toContain("ECONNREFUSED");
  expect(failed.transitioningMessage).toContain("next attempt at");
  expect(failed.key).toBeNull();
  // The balancer keeps serving the other certificate.
  expect((await httpsGet(root)).status).toBe(200);
}, 90_000);
