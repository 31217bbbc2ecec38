// Authentication: missing, wrong, malformed and unknown credentials get a 401 error body; a
// deactivated or removed key stops working at once; an apiKey's secret is shown once and is stored
// only as a salted hash.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { registerAgent } from "./fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;

beforeAll(async () => {
  // Every test here sends wrong credentials from one address, far more than the failure limit
  // lets through: this file checks the 401 answers, test/abuse/credentials.test.ts the limit.
  server = startTestServer({ authFailureLimits: { perSecond: 1000, burst: 1000 } });
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(() => server.stop());

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("bad credentials get 401 with the error body", () => {
  const cases: [string, () => string | null][] = [
    ["no Authorization header", () => null],
    ["a wrong secret", () => basic(server.admin.accessKey, "wrong-secret")],
    ["the secret of another key", () => basic(server.admin.accessKey, project.key.secretValue)],
    ["an unknown access key", () => basic("NOSUCHKEY0000000000", "whatever")],
    ["an empty Basic value", () => "Basic "],
    ["Basic with non-base64 text", () => "Basic !!!not base64!!!"],
    ["base64 without a colon", () => `Basic ${b64("justonepart")}`],
    ["an empty access key", () => `Basic ${b64(`:${server.admin.secretKey}`)}`],
    ["a Bearer token", () => `Bearer ${server.admin.secretKey}`],
    ["a huge header", () => `Basic ${"A".repeat(5000)}`],
    ["a secret with a NUL byte", () => basic(server.admin.accessKey, `${server.admin.secretKey}\u0000`)],
  ];
  const paths = ["/v2-beta", "/v2-beta/projects", `/v2-beta/schemas`, "/v2-beta/accounts/1a1"];

  test.each(cases)("%s", async (_name, auth) => {
    for (const path of paths) {
      const res = await admin.as(auth()).get(path);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ type: "error", status: 401, code: "Unauthorized" });
      expect(typeof res.body.message).toBe("string");
      expect(res.headers.get("www-authenticate")).toContain("Basic");
    }
    const write = await admin.as(auth()).post("/v2-beta/projects", { name: "nope" });
    expect(write.status).toBe(401);
  });

  test("the admin key itself works", async () => {
    expect((await admin.get("/v2-beta/projects")).status).toBe(200);
  });
});

describe("keys that were turned off", () => {
  test("a deactivated environment key stops working immediately, and works again when activated", async () => {
    const key = expectStatus(await admin.post(`/v2-beta/projects/${project.id}/apikeys`, {}), 201).body;
    const client = admin.as(basic(key.publicValue, key.secretValue));
    expect((await client.get("/v2-beta/hosts")).status).toBe(200);
    expectStatus(await admin.post(`/v2-beta/apikeys/${key.id}?action=deactivate`), 200);
    const refused = await client.get("/v2-beta/hosts");
    expect(refused.status).toBe(401);
    expect(refused.body.type).toBe("error");
    expectStatus(await admin.post(`/v2-beta/apikeys/${key.id}?action=activate`), 200);
    expect((await client.get("/v2-beta/hosts")).status).toBe(200);
  });

  test("a removed key stops working immediately", async () => {
    const key = expectStatus(await admin.post(`/v2-beta/projects/${project.id}/apikeys`, {}), 201).body;
    const client = admin.as(basic(key.publicValue, key.secretValue));
    expect((await client.get("/v2-beta/hosts")).status).toBe(200);
    expectStatus(await admin.del(`/v2-beta/apikeys/${key.id}`), 200);
    expect((await client.get("/v2-beta/hosts")).status).toBe(401);
  });

  test("keys of a deactivated project stop working immediately", async () => {
    const p = await createProject(admin);
    expect((await p.client.get("/v2-beta/hosts")).status).toBe(200);
    expectStatus(await admin.post(`/v2-beta/projects/${p.id}?action=deactivate`), 200);
    expect((await p.client.get("/v2-beta/hosts")).status).toBe(401);
  });

  test("an account deactivates and activates, but an admin cannot deactivate itself", async () => {
    const user = expectStatus(await admin.post("/v2-beta/accounts", { name: "someone" }), 201).body;
    expect(user.kind).toBe("user");
    expect(Object.keys(user.actions)).toEqual(["deactivate"]);
    const off = expectStatus(await admin.post(`/v2-beta/accounts/${user.id}?action=deactivate`), 200).body;
    expect(off.state).toBe("inactive");
    expect(Object.keys(off.actions)).toEqual(["activate"]);
    const self = await admin.post(`/v2-beta/accounts/${server.admin.adminAccountId}?action=deactivate`);
    expect(self.status).toBe(409);
    expect(self.body.type).toBe("error");
    expect((await admin.get("/v2-beta")).status).toBe(200);
  });

  test("an admin cannot deactivate or remove the key it is using", async () => {
    const self = { id: server.store.publicId(server.store.getByLookup("apiKey", server.admin.accessKey)!) };
    expect((await admin.post(`/v2-beta/apikeys/${self.id}?action=deactivate`)).status).toBe(409);
    expect((await admin.del(`/v2-beta/apikeys/${self.id}`)).status).toBe(409);
    expect((await admin.get("/v2-beta")).status).toBe(200);
  });
});

describe("account keys", () => {
  test("a key made at /v2-beta/apikeys belongs to the caller and is listed there", async () => {
    const key = expectStatus(await admin.post("/v2-beta/apikeys", { name: "mine" }), 201).body;
    expect(key.kind).toBe("account");
    expect(key.accountId).toBe(server.admin.adminAccountId);
    const list = expectStatus(await admin.get("/v2-beta/apikeys"), 200).body;
    const ids = list.data.map((k: { id: string }) => k.id);
    expect(ids).toContain(key.id);
    const filtered = expectStatus(
      await admin.get(`/v2-beta/apikeys?publicValue=${server.admin.accessKey}`),
      200,
    );
    expect(filtered.body.data).toHaveLength(1);
  });
});

describe("secrets", () => {
  test("an apiKey's secretValue is in the create answer only", async () => {
    const created = expectStatus(
      await admin.post(`/v2-beta/projects/${project.id}/apikeys`, { name: "once" }),
      201,
    ).body;
    expect(created.secretValue).toMatch(/^[A-Za-z0-9]{40}$/);
    const read = expectStatus(await admin.get(`/v2-beta/apikeys/${created.id}`), 200).body;
    expect(read.secretValue).toBeNull();
    expect(JSON.stringify(read)).not.toContain(created.secretValue);
    const list = expectStatus(await admin.get(`/v2-beta/projects/${project.id}/apikeys`), 200);
    expect(JSON.stringify(list.body)).not.toContain(created.secretValue);
    const off = expectStatus(await admin.post(`/v2-beta/apikeys/${created.id}?action=deactivate`), 200);
    expect(JSON.stringify(off.body)).not.toContain(created.secretValue);
  });

  test("no secret text is stored anywhere in the database, only hashes", async () => {
    const key = expectStatus(await admin.post("/v2-beta/apikeys", { name: "hashed" }), 201).body;
    const agent = await registerAgent(server.url, project.token);
    const secrets = [key.secretValue, agent.secretKey, server.admin.secretKey!, project.key.secretValue];
    const rows = server.store.db
      .query<Record<string, unknown>, []>("SELECT * FROM resource")
      .all()
      .map((r) => JSON.stringify(r));
    const settings = JSON.stringify(server.store.db.query("SELECT * FROM setting").all());
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(32);
      for (const row of rows) expect(row).not.toContain(secret);
      expect(settings).not.toContain(secret);
    }
    const stored = server.store.db
      .query<{ secret: string }, [string]>("SELECT secret FROM resource WHERE type = 'apiKey' AND lookup = ?")
      .get(key.publicValue)!;
    expect(stored.secret).toMatch(/^hmac-sha256\$[\w-]{22}\$[\w-]{43}$/);
  });
});
