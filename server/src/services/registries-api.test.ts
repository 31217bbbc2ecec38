// Registries, their credentials and secrets through the API: write-only values never come back, are
// sealed in the database file, and never reach the audit rows or the server's log; garbage is 4xx
// with nothing written.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  adminClient,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
} from "../../../test/api/harness.ts";
import { captureLogs } from "../../testing/capture-logs.ts";
import { type RunningServer, startServer } from "../server.ts";

const password = "pw-Zq8xN3vLr7Tt";
const secretText = "s3cret-Vk2mW9pQ";
const secretB64 = Buffer.from(secretText).toString("base64");
let dir: string;
let server: RunningServer;
let env: ProjectFixture;
const logs = captureLogs();
const p = (c: string) => `/v2-beta/projects/${env.id}/${c}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "corral-reg-"));
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir: dir, env: {} });
  env = await createProject(adminClient(server));
});
afterAll(async () => {
  await server.stop();
  logs.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a registry, its credential and a secret are made; values are write-only and sealed", async () => {
  const reg = expectStatus(
    await env.client.post(p("registries"), { serverAddress: "127.0.0.1:5000" }),
    201,
  ).body;
  expect(reg).toMatchObject({ type: "registry", serverAddress: "127.0.0.1:5000", state: "active" });
  expect(reg.id).toMatch(/^1sp\d+$/);
  const cred = expectStatus(
    await env.client.post(p("registrycredentials"), {
      registryId: reg.id,
      publicValue: "ci",
      secretValue: password,
      email: "ci@example.com",
    }),
    201,
  ).body;
  expect(cred).toMatchObject({ type: "registryCredential", publicValue: "ci", secretValue: null });
  const sec = expectStatus(
    await env.client.post(p("secrets"), { name: "db-password", value: secretB64, description: "db" }),
    201,
  ).body;
  expect(sec).toMatchObject({ type: "secret", name: "db-password", value: null });
  // A new value is sealed too.
  expectStatus(await env.client.put(`${p("secrets")}/${sec.id}`, { value: secretB64 }), 200);
  expectStatus(
    await env.client.put(`${p("registrycredentials")}/${cred.id}`, { secretValue: password }),
    200,
  );
  const lists = [
    await env.client.get(p("registries")),
    await env.client.get(p("registrycredentials")),
    await env.client.get(p("secrets")),
    await env.client.get(`${p("secrets")}/${sec.id}`),
    await adminClient(server).get("/v2-beta/auditlogs?limit=1000"),
  ];
  for (const l of lists) {
    const text = JSON.stringify(l.body);
    expect(text).not.toContain(password);
    expect(text).not.toContain(secretText);
    expect(text).not.toContain(secretB64);
  }
  const audit = JSON.stringify(lists[4]!.body);
  expect(audit).toContain("registryCredential");
  expect(audit).toContain("<redacted>");
  // The database file (and its WAL) hold only sealed values.
  for (const f of ["corral.db", "corral.db-wal"]) {
    const bytes = (() => {
      try {
        return readFileSync(join(dir, f));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    expect(bytes.includes(password)).toBe(false);
    expect(bytes.includes(secretB64)).toBe(false);
    expect(bytes.includes(secretText)).toBe(false);
  }
  expect(logs.text()).not.toContain(password);
  expect(logs.text()).not.toContain(secretB64);
});

test("garbage for registries, credentials and secrets is 4xx and writes nothing", async () => {
  const reg = expectStatus(
    await env.client.post(p("registries"), { serverAddress: "reg.example:443" }),
    201,
  ).body;
  const before = rowsFingerprint(server);
  const cases: [string, unknown, number][] = [
    ["registries", { serverAddress: "https://reg.example" }, 422],
    ["registries", { serverAddress: "reg.example/path" }, 422],
    ["registries", { serverAddress: "" }, 422],
    ["registries", { serverAddress: 5 }, 422],
    ["registries", { serverAddress: "reg.example:443" }, 409],
    ["registries", { serverAddress: "a.example", junk: 1 }, 422],
    ["registries", [1, 2], 400],
    ["registrycredentials", { registryId: "1sp999999", publicValue: "u", secretValue: "p" }, 422],
    ["registrycredentials", { registryId: reg.id, publicValue: "u" }, 422],
    ["registrycredentials", { registryId: reg.id, publicValue: "", secretValue: "p" }, 422],
    ["registrycredentials", { registryId: reg.id, publicValue: "u", secretValue: "x".repeat(5000) }, 422],
    ["secrets", { name: "a", value: "not base64!" }, 422],
    ["secrets", { name: "bad name", value: secretB64 }, 422],
    ["secrets", { name: "b", value: "" }, 422],
    ["secrets", { name: "c", value: secretB64, extra: true }, 422],
    ["secrets", { name: "db-password", value: secretB64 }, 409],
    ["secrets", "garbage", 400],
  ];
  for (const [c, body, status] of cases) {
    const r = await env.client.post(p(c), body);
    if (r.status !== status)
      throw new Error(`${c} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
    expect(r.body.type).toBe("error");
    expect(JSON.stringify(r.body)).not.toContain(secretB64);
  }
  expect((await env.client.put(`${p("secrets")}/1sec999999`, { value: secretB64 })).status).toBe(404);
  expect(rowsFingerprint(server)).toBe(before);
});

test("removing a registry removes its credential", async () => {
  const reg = expectStatus(await env.client.post(p("registries"), { serverAddress: "docker.io" }), 201).body;
  const cred = expectStatus(
    await env.client.post(p("registrycredentials"), {
      registryId: reg.id,
      publicValue: "u",
      secretValue: "p",
    }),
    201,
  ).body;
  // Docker Hub's other spelling is the same registry.
  expect((await env.client.post(p("registries"), { serverAddress: "index.docker.io" })).status).toBe(409);
  expectStatus(await env.client.raw("DELETE", `${p("registries")}/${reg.id}`), 200);
  const after = expectStatus(await env.client.get(`${p("registrycredentials")}/${cred.id}`), 200).body;
  expect(after.state).toBe("removed");
});
