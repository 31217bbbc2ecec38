// Isolation between environments and key kinds: an environment key of project A sees nothing of
// project B (404 by scoped URL and by unscoped id, for GET, PUT, DELETE and actions), cannot read
// accounts, and lists only A's rows; an agent key may only GET its own host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let a: ProjectFixture;
let b: ProjectFixture;
let agentA: FakeAgent;
let agentB: FakeAgent;
/** Resources of project B as [collection, id, an action valid for it]. */
let ofB: [string, string, string][];

async function runningContainer(p: ProjectFixture): Promise<string> {
  const c = expectStatus(
    await admin.post(`/v2-beta/projects/${p.id}/containers`, { imageUuid: "busybox" }),
    201,
  );
  await until(
    "container running",
    async () => (await admin.get(`/v2-beta/containers/${c.body.id}`)).body.state === "running",
  );
  return c.body.id;
}

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  a = await createProject(admin);
  b = await createProject(admin);
  agentA = await FakeAgent.join(server.url, a.token);
  agentB = await FakeAgent.join(server.url, b.token);
  await until(
    "agents connected",
    () => server.hub.isConnected(agentA.hostId) && server.hub.isConnected(agentB.hostId),
  );
  await runningContainer(a);
  const containerB = await runningContainer(b);
  const auditB = expectStatus(await admin.get(`/v2-beta/projects/${b.id}/auditlogs?limit=1`), 200).body
    .data[0];
  ofB = [
    ["hosts", agentB.hostId, "deactivate"],
    ["containers", containerB, "stop"],
    ["apikeys", b.key.id, "deactivate"],
    ["registrationtokens", b.tokenId, "deactivate"],
    ["auditlogs", auditB.id, "deactivate"],
  ];
});

afterAll(async () => {
  await agentA.close();
  await agentB.close();
  await server.stop();
});

describe("an environment key of project A", () => {
  test("gets 404 for every resource of project B, by any URL and verb, and changes nothing", async () => {
    const rowsBefore = nonAuditRows(server);
    const client = a.client;
    for (const [collection, id, action] of ofB) {
      const urls = [
        `/v2-beta/${collection}/${id}`,
        `/v2-beta/projects/${b.id}/${collection}/${id}`,
        `/v2-beta/projects/${a.id}/${collection}/${id}`,
      ];
      for (const url of urls) {
        const answers = [
          await client.get(url),
          await client.put(url, { description: "mine now" }),
          await client.del(url),
          await client.post(`${url}?action=${action}`),
          await client.post(`${url}?action=remove`),
        ];
        for (const res of answers) {
          expect({ url, status: res.status }).toEqual({ url, status: 404 });
          expect(res.body).toMatchObject({ type: "error", status: 404, code: "NotFound" });
        }
      }
    }
    expect(nonAuditRows(server)).toBe(rowsBefore);
    expect((await admin.get(`/v2-beta/hosts/${agentB.hostId}`)).body.state).toBe("active");
    expect((await admin.get(`/v2-beta/apikeys/${b.key.id}`)).body.state).toBe("active");
  });

  test("gets 404 for project B itself and for creating anything inside it", async () => {
    const rowsBefore = nonAuditRows(server);
    const client = a.client;
    const project = `/v2-beta/projects/${b.id}`;
    const answers = [
      await client.get(project),
      await client.put(project, { description: "x" }),
      await client.del(project),
      await client.post(`${project}?action=deactivate`),
      await client.get(`${project}/hosts`),
      await client.get(`${project}/containers`),
      await client.post(`${project}/apikeys`, {}),
      await client.post(`${project}/registrationtokens`, {}),
      await client.post(`${project}/containers`, { imageUuid: "busybox" }),
    ];
    for (const res of answers) expect(res.status).toBe(404);
    expect(nonAuditRows(server)).toBe(rowsBefore);
  });

  test("cannot place a container on a host of project B", async () => {
    const res = await a.client.post("/v2-beta/containers", {
      imageUuid: "busybox",
      requestedHostId: agentB.hostId,
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("InvalidReference");
  });

  test("cannot read accounts", async () => {
    const list = await a.client.get("/v2-beta/accounts");
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({ type: "error", code: "PermissionDenied" });
    expect((await a.client.get(`/v2-beta/accounts/${server.admin.adminAccountId}`)).status).toBe(404);
    expect((await a.client.post("/v2-beta/accounts", { name: "sneaky", kind: "admin" })).status).toBe(403);
  });

  test.each(["hosts", "containers", "apikeys", "registrationtokens", "auditlogs"])(
    "lists only A's %s, even when filtering for B",
    async (collection) => {
      const mine = expectStatus(await a.client.get(`/v2-beta/${collection}`), 200).body.data;
      expect(mine.length).toBeGreaterThan(0);
      for (const row of mine) expect(row.accountId).toBe(a.id);
      const theirs = expectStatus(await a.client.get(`/v2-beta/${collection}?accountId=${b.id}`), 200).body
        .data;
      expect(theirs).toEqual([]);
    },
  );

  test("lists only project A among projects", async () => {
    const list = expectStatus(await a.client.get("/v2-beta/projects"), 200).body.data;
    expect(list.map((p: { id: string }) => p.id)).toEqual([a.id]);
  });

  test("cannot make projects", async () => {
    expect((await a.client.post("/v2-beta/projects", { name: "mine" })).status).toBe(403);
  });
});

describe("an agent key", () => {
  let agentClient: Client;
  beforeAll(() => {
    agentClient = admin.as(basic(agentA.registration.accessKey, agentA.registration.secretKey));
  });

  test("may GET its own host", async () => {
    const host = expectStatus(await agentClient.get(`/v2-beta/hosts/${agentA.hostId}`), 200).body;
    expect(host.id).toBe(agentA.hostId);
  });

  test("may GET its own host by the host's self link", async () => {
    const host = expectStatus(await admin.get(`/v2-beta/hosts/${agentA.hostId}`), 200).body;
    const res = await agentClient.get(host.links.self);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(agentA.hostId);
  });

  test("gets 403 for everything else", async () => {
    const rowsBefore = nonAuditRows(server);
    const own = `/v2-beta/hosts/${agentA.hostId}`;
    const answers = [
      await agentClient.get("/v2-beta"),
      await agentClient.get("/v2-beta/schemas"),
      await agentClient.get("/v2-beta/hosts"),
      await agentClient.get(`/v2-beta/hosts/${agentB.hostId}`),
      await agentClient.get("/v2-beta/projects"),
      await agentClient.get("/v2-beta/containers"),
      await agentClient.get("/v2-beta/accounts"),
      await agentClient.get(`/v2-beta/accounts/${agentA.registration.agentId}`),
      await agentClient.get(`/v2-beta/projects/${a.id}`),
      await agentClient.put(own, { description: "x" }),
      await agentClient.del(own),
      await agentClient.post(`${own}?action=deactivate`),
      await agentClient.post("/v2-beta/projects", { name: "agent-made" }),
      await agentClient.post("/v2-beta/apikeys", {}),
      await agentClient.post(`/v2-beta/projects/${a.id}/containers`, { imageUuid: "busybox" }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: "error", status: 403, code: "PermissionDenied" });
    }
    expect(nonAuditRows(server)).toBe(rowsBefore);
  });
});
