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
const path = () => `/v2-beta/projects/${env.id}/certificates`;
const directory = "https://127.0.0.1:1/dir";
const good = {
  acme: true,
  domains: ["shop.example"],
  email: "ops@shop.example",
  acmeDirectoryUrl: directory,
};

beforeAll(async () => {
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir: null, env: {} });
  env = await createProject(adminClient(server));
});
afterAll(() => server.stop());

test("garbage in the ACME fields is refused with 422 and the reason, and nothing is written", async () => {
  const before = rowsFingerprint(server);
  const pem = opensslPem("shop.example");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, acme: "yes" }, /acme/],
    [{ ...good, domains: [] }, /domains/],
    [{ ...good, domains: "shop.example" }, /domains/],
    [{ ...good, domains: ["*.shop.example"] }, /domains.*wildcard/],
    [{ ...good, domains: ["bad name"] }, /domains/],
    [{ ...good, domains: ["a".repeat(300)] }, /domains/],
    [{ ...good, domains: Array.from({ length: 101 }, (_, i) => `h${i}.example`) }, /domains/],
    [{ ...good, email: "not-an-address" }, /email/],
    [{ ...good, email: 42 }, /email/],
    [{ ...good, acmeDirectoryUrl: "ftp://x/dir" }, /acmeDirectoryUrl/],
    [{ ...good, acmeDirectoryUrl: "not a url" }, /acmeDirectoryUrl/],
    [{ ...good, acmeDirectoryUrl: undefined }, /acmeDirectoryUrl/],
    [{ ...good, domains: undefined }, /domains/],
    [{ ...good, acme: false }, /acme: domains, email and acmeDirectoryUrl need acme: true/],
    [{ domains: ["shop.example"], acmeDirectoryUrl: directory }, /need acme: true/],
    [{ ...good, ...pem }, /give no cert, key/],
    [{ ...good, generate: { hostname: "shop.example" } }, /give no cert, key/],
    [{ ...good, accountKey: "x" }, /accountKey/],
  ];
  for (const [body, reason] of cases) {
    const r = await env.client.post(path(), { name: "acme-bad", ...body });
    expect({ body, status: r.status }).toEqual({ body, status: 422 });
    expect(r.body.message).toMatch(reason);
  }
  expect(rowsFingerprint(server)).toBe(before);
});

test("an ACME certificate starts pending, waits for a load balancer, and never shows its account key", async () => {
  const made = expectStatus(await env.client.post(path(), { name: "acme-shop", ...good }), 201).body;
  expect(made).toMatchObject({
    state: "pending",
    acme: true,
    domains: ["shop.example"],
    email: "ops@shop.example",
    acmeDirectoryUrl: directory,
    CN: "shop.example",
    key: null,
    expired: false,
  });
  expect(made.actions.renew).toBeString();
  // No balancer runs in this environment: the issuer says so and asks the CA nothing.
  const waiting = await (async () => {
    for (let i = 0; i < 200; i++) {
      const r = expectStatus(await env.client.get(`${path()}/${made.id}`), 200).body;
      if (r.transitioningMessage) return r;
      await Bun.sleep(50);
    }
    throw new Error("no message on the pending certificate");
  })();
  expect(waiting.state).toBe("pending");
  expect(waiting.transitioning).toBe("yes");
  expect(waiting.transitioningMessage).toContain("waiting for a running load balancer");
  expect(JSON.stringify(waiting)).not.toContain("accountKey");
  // Its PEMs come from the CA only.
  const pem = opensslPem("shop.example");
  const edit = await env.client.put(`${path()}/${made.id}`, { cert: pem.cert, key: pem.key });
  expect(edit.status).toBe(422);
  expect(edit.body.message).toContain("use the renew action");
});

test("renew is offered on ACME certificates only", async () => {
  const pem = opensslPem("plain.example");
  const plain = expectStatus(await env.client.post(path(), { name: "plain", ...pem }), 201).body;
  expect(plain.actions.renew).toBeUndefined();
  expect(plain.acme).toBe(false);
  const r = await env.client.post(`${path()}/${plain.id}?action=renew`, {});
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
});
