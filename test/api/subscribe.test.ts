// The event stream at /v2-beta/subscribe: an admin hears resource.change for rows created after it
// subscribed; a subscriber with project A's key (or scoped with ?projectId=A) hears A's changes and
// never B's; bad credentials and foreign projects are refused at the upgrade.
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
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let a: ProjectFixture;
let b: ProjectFixture;

interface Change {
  name: string;
  resourceType?: string;
  resourceId?: string;
  data?: { resource: Record<string, unknown> };
}

/** A subscriber that keeps every message except pings. */
async function subscribe(auth: string, query = ""): Promise<{ messages: Change[]; close(): void }> {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/v2-beta/subscribe${query}`, {
    headers: { Authorization: auth },
  });
  const messages: Change[] = [];
  ws.onmessage = (m) => {
    const change = JSON.parse(String(m.data)) as Change;
    if (change.name !== "ping") messages.push(change);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error("subscription refused"));
  });
  return { messages, close: () => ws.close() };
}

const about = (messages: Change[], id: string) => messages.filter((m) => m.resourceId === id);

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  a = await createProject(admin);
  b = await createProject(admin);
});

afterAll(() => server.stop());

describe("an admin subscriber", () => {
  test("receives resource.change for a project created after subscribing", async () => {
    const sub = await subscribe(admin.auth!);
    const created = expectStatus(await admin.post("/v2-beta/projects", { name: "watched" }), 201).body;
    const change = await until("the change", () => about(sub.messages, created.id)[0]);
    expect(change).toMatchObject({
      name: "resource.change",
      resourceType: "project",
      resourceId: created.id,
    });
    expect(change.data!.resource).toMatchObject({
      id: created.id,
      type: "project",
      name: "watched",
      state: "active",
    });
    expectStatus(await admin.post(`/v2-beta/projects/${created.id}?action=deactivate`), 200);
    await until("the deactivation", () =>
      about(sub.messages, created.id).some((m) => m.data!.resource.state === "inactive"),
    );
    // Audit rows are never published.
    expect(sub.messages.some((m) => m.resourceType === "auditLog")).toBe(false);
    sub.close();
  });
});

describe("a subscriber limited to project A", () => {
  test.each([
    ["with A's environment key", () => ({ auth: a.client.auth!, query: "" })],
    ["with the admin key and ?projectId=A", () => ({ auth: admin.auth!, query: `?projectId=${a.id}` })],
  ])("%s hears A's changes and none of B's", async (_how, how) => {
    const { auth, query } = how();
    const sub = await subscribe(auth, query);
    // B's changes come first: had they been delivered, they would arrive before A's.
    const tokenB = expectStatus(
      await admin.post(`/v2-beta/projects/${b.id}/registrationtokens`, {}),
      201,
    ).body;
    expectStatus(await admin.put(`/v2-beta/projects/${b.id}`, { description: "changed" }), 200);
    const hostB = await registerAgent(server.url, b.token);
    const tokenA = expectStatus(
      await admin.post(`/v2-beta/projects/${a.id}/registrationtokens`, {}),
      201,
    ).body;
    expectStatus(await admin.put(`/v2-beta/projects/${a.id}`, { description: `seen ${query}` }), 200);
    await until(
      "A's changes",
      () => about(sub.messages, tokenA.id).length > 0 && about(sub.messages, a.id).length > 0,
    );
    for (const id of [tokenB.id, b.id, hostB.hostId, hostB.agentId])
      expect(about(sub.messages, id)).toEqual([]);
    for (const m of sub.messages) {
      const r = m.data!.resource;
      expect(r.id === a.id || r.accountId === a.id).toBe(true);
    }
    sub.close();
  });
});

describe("a subscriber whose key is turned off", () => {
  test("is disconnected and hears nothing more", async () => {
    const key = expectStatus(await admin.post(`/v2-beta/projects/${a.id}/apikeys`, {}), 201).body;
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/v2-beta/subscribe`, {
      headers: { Authorization: basic(key.publicValue, key.secretValue) },
    });
    const heard: Change[] = [];
    let closed = false;
    ws.onmessage = (m) => heard.push(JSON.parse(String(m.data)));
    ws.onclose = () => {
      closed = true;
    };
    await new Promise((resolve) => {
      ws.onopen = resolve;
    });
    expectStatus(await admin.post(`/v2-beta/apikeys/${key.id}?action=deactivate`), 200);
    const token = expectStatus(
      await admin.post(`/v2-beta/projects/${a.id}/registrationtokens`, {}),
      201,
    ).body;
    await until("the subscription to end", () => closed, 3000);
    expect(about(heard, token.id)).toEqual([]);
  });
});

describe("refused subscriptions", () => {
  const upgrade = (auth: string | null, query = "") =>
    fetch(`${server.url}/v2-beta/subscribe${query}`, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...(auth ? { Authorization: auth } : {}),
      },
    });

  test("without credentials (401), with an agent key (403), or for a project the key cannot see (404)", async () => {
    const agent = await registerAgent(server.url, a.token);
    const cases: [string | null, string, number][] = [
      [null, "", 401],
      [basic(server.admin.accessKey, "wrong"), "", 401],
      [basic(agent.accessKey, agent.secretKey), "", 403],
      [a.client.auth, `?projectId=${b.id}`, 404],
      [admin.auth, "?projectId=1a999999", 404],
      [admin.auth, "?projectId=x", 404],
    ];
    for (const [auth, query, status] of cases) {
      const res = await upgrade(auth, query);
      expect({ query, status: res.status }).toEqual({ query, status });
      expect(((await res.json()) as { type: string }).type).toBe("error");
    }
    await expect(subscribe(a.client.auth!, `?projectId=${b.id}`)).rejects.toThrow();
  });
});
