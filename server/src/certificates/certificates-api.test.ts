import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  adminClient,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
} from "../../../test/api/harness.ts";
import { opensslPem } from "../../testing/test-pems.ts";
import { type RunningServer, startServer } from "../server.ts";

let server: RunningServer;
let env: ProjectFixture;
const pem = opensslPem("shop.example");
const wrongKey = opensslPem("other.example", { ec: true }).key;
const path = () => `/v2-beta/projects/${env.id}/certificates`;

beforeAll(async () => {
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir: null, env: {} });
  env = await createProject(adminClient(server));
});
afterAll(() => server.stop());

test("a certificate is created with its fields read, and its key is never shown", async () => {
  const made = expectStatus(await env.client.post(path(), { name: "shop", ...pem }), 201).body;
  expect(made).toMatchObject({
    type: "certificate",
    name: "shop",
    CN: "shop.example",
    key: null,
    algorithm: "RSA",
  });
  expect(made.id).toMatch(/^1ce\d+$/);
  expect(made.subjectAlternativeNames).toEqual(["shop.example", "www.shop.example"]);
  const read = expectStatus(await env.client.get(`${path()}/${made.id}`), 200).body;
  expect(read.key).toBeNull();
  const audit = expectStatus(
    await adminClient(server).get(`/v2-beta/auditlogs?resourceId=${made.id}`),
    200,
  ).body;
  expect(JSON.stringify(audit)).not.toContain("PRIVATE KEY");
  expect(JSON.stringify(read)).not.toContain("PRIVATE KEY");
});

test("bad PEMs are refused with 422 and the reason, and nothing is written", async () => {
  const before = rowsFingerprint(server);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: "x1", cert: "garbage", key: pem.key }, /cert: not PEM/],
    [{ name: "x2", cert: pem.cert, key: wrongKey }, /does not match/],
    [{ name: "x3", cert: pem.cert }, /key: cert and key are required/],
    [{ name: "x4", ...pem, certChain: "junk" }, /certChain/],
    [{ name: "x5", ...pem, generate: { hostname: "a.example" } }, /not both/],
    [{ name: "x6", generate: { hostname: "bad host" } }, /DNS name/],
  ];
  for (const [body, reason] of cases) {
    const r = await env.client.post(path(), body);
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(reason);
  }
  expect(rowsFingerprint(server)).toBe(before);
});

test("generate makes a self-signed certificate; update checks the new key; LB use blocks removal", async () => {
  const gen = expectStatus(
    await env.client.post(path(), { name: "gen", generate: { hostname: "gen.example" } }),
    201,
  ).body;
  expect(gen).toMatchObject({ CN: "gen.example", key: null, expired: false });
  const bad = await env.client.put(`${path()}/${gen.id}`, { key: wrongKey });
  expect(bad.status).toBe(422);
  const swapped = expectStatus(await env.client.put(`${path()}/${gen.id}`, { ...pem }), 200).body;
  expect(swapped.CN).toBe("shop.example");

  const stack = expectStatus(
    await env.client.post(`/v2-beta/projects/${env.id}/stacks`, { name: "web", startOnCreate: false }),
    201,
  ).body;
  const lbBody = (lbConfig: Record<string, unknown>) => ({
    name: "lb",
    stackId: stack.id,
    kind: "loadBalancerService",
    startOnCreate: false,
    lbConfig,
  });
  const noCert = await env.client.post(
    `/v2-beta/projects/${env.id}/services`,
    lbBody({ portRules: [{ sourcePort: 443, protocol: "https", targetPort: 80, selector: "a=b" }] }),
  );
  expect(noCert.status).toBe(422);
  expect(noCert.body.message).toMatch(/needs a certificate/);
  const lb = expectStatus(
    await env.client.post(
      `/v2-beta/projects/${env.id}/services`,
      lbBody({
        defaultCertificateId: gen.id,
        portRules: [{ sourcePort: 443, protocol: "https", targetPort: 80, selector: "a=b" }],
      }),
    ),
    201,
  ).body;
  expect(lb.launchConfig).toMatchObject({
    imageUuid: "docker:corral/lb-haproxy:latest",
    ports: ["443:443/tcp"],
  });
  const refused = await env.client.del(`${path()}/${gen.id}`);
  expect(refused.status).toBe(409);
  expect(refused.body.message).toMatch(/used by load balancer lb/);
  expectStatus(await env.client.post(`/v2-beta/projects/${env.id}/services/${lb.id}?action=remove`), 202);
  await Bun.sleep(300);
  expectStatus(await env.client.del(`${path()}/${gen.id}`), 200);
});
