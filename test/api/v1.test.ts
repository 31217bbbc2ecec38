// `/v1` and `/v2-beta` serve the same store in two vocabularies: in v1 a stack is an `environment`
// (`/v1/projects/<id>/environments/<id>/services`, `environmentId`), and the v1 service upgrade
// flow (`?action=upgrade` with `inServiceStrategy`, then `finishupgrade`) acts on the same rows.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  type ProjectFixture,
  rowsFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;
let stackId = "";

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
  const stack = await admin.post(`/v2-beta/projects/${project.id}/stacks`, {
    name: "shop",
    dockerCompose: "services:\n  web:\n    image: busybox\n    command: sleep 3600\n",
  });
  stackId = expectStatus(stack, 201).body.id;
});

afterAll(async () => {
  await agent?.close();
  await server.stop();
});

const v1 = () => `/v1/projects/${project.id}`;
const v2 = () => `/v2-beta/projects/${project.id}`;

test("the same stack: a v1 environment with its services, and a v2-beta stack", async () => {
  const v2Stack = expectStatus(await admin.get(`${v2()}/stacks/${stackId}`), 200).body;
  const env = expectStatus(await admin.get(`${v1()}/environments/${stackId}`), 200).body;
  expect([env.id, env.type, env.name, env.dockerCompose]).toEqual([
    stackId,
    "environment",
    "shop",
    v2Stack.dockerCompose,
  ]);
  expect(env.links.self).toBe(`${server.url}${v1()}/environments/${stackId}`);
  const list = expectStatus(await admin.get(`${v1()}/environments`), 200).body;
  expect(list.resourceType).toBe("environment");
  expect(list.data.map((e: { id: string }) => e.id)).toEqual([stackId]);

  const v2Services = expectStatus(await admin.get(`${v2()}/services?stackId=${stackId}`), 200).body.data;
  const v1Services = expectStatus(await admin.get(`${v1()}/environments/${stackId}/services`), 200).body.data;
  expect(v1Services.map((s: { id: string }) => s.id)).toEqual(v2Services.map((s: { id: string }) => s.id));
  expect(v1Services[0].environmentId).toBe(stackId);
  expect(v1Services[0].stackId).toBeUndefined();
  expect(v1Services[0].links.self).toStartWith(`${server.url}/v1/`);
  const filtered = expectStatus(await admin.get(`${v1()}/services?environmentId=${stackId}`), 200).body.data;
  expect(filtered.map((s: { id: string }) => s.id)).toEqual(v2Services.map((s: { id: string }) => s.id));
  // Its schemas speak v1 too.
  const schemas = await admin.get(`${v1()}/schemas`);
  expect(schemas.headers.get("x-api-schemas")).toBe(`${server.url}${v1()}/schemas`);
  const ids = schemas.body.data.map((s: { id: string }) => s.id);
  expect(ids).toContain("environment");
  expect(ids).not.toContain("stack");
});

test("a service created through v1 with environmentId lands in the v2-beta stack", async () => {
  const created = await admin.post(`${v1()}/services`, {
    name: "api",
    environmentId: stackId,
    launchConfig: { imageUuid: "docker:busybox", command: ["sleep", "3600"] },
  });
  const svc = expectStatus(created, 201).body;
  expect(svc.environmentId).toBe(stackId);
  const v2Svc = expectStatus(await admin.get(`${v2()}/services/${svc.id}`), 200).body;
  expect(v2Svc.stackId).toBe(stackId);
});

test("the v1 upgrade flow: upgrade with inServiceStrategy, then finishupgrade", async () => {
  const [web] = expectStatus(
    await admin.get(`${v1()}/environments/${stackId}/services`),
    200,
  ).body.data.filter((s: { name: string }) => s.name === "web");
  await until(
    "web active",
    async () => (await admin.get(`${v1()}/services/${web.id}`)).body.state === "active",
  );
  const launchConfig = { ...web.launchConfig, environment: { VERSION: "2" } };
  const upgrade = await admin.post(`${v1()}/services/${web.id}?action=upgrade`, {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 0, startFirst: false },
  });
  expect(expectStatus(upgrade, 202).body.links.self).toStartWith(`${server.url}/v1/`);
  await until(
    "upgraded",
    async () => (await admin.get(`${v2()}/services/${web.id}`)).body.state === "upgraded",
    15_000,
  );
  expectStatus(await admin.post(`${v1()}/services/${web.id}?action=finishupgrade`), 202);
  await until(
    "active",
    async () => (await admin.get(`${v1()}/services/${web.id}`)).body.state === "active",
    15_000,
  );
  const after = (await admin.get(`${v2()}/services/${web.id}`)).body;
  expect(after.launchConfig.environment).toEqual({ VERSION: "2" });
});

test("garbage through v1 is refused like v2-beta's and writes nothing", async () => {
  const before = nonAuditRows(server);
  const fingerprint = rowsFingerprint(server);
  const json = { "Content-Type": "application/json" };
  const cases: [string, string, string | undefined, number][] = [
    ["POST", `${v1()}/environments`, "{", 400],
    ["POST", `${v1()}/environments`, "[]", 400],
    ["POST", `${v1()}/environments`, '{"name":"x y"}', 422],
    ["POST", `${v1()}/environments`, '{"name":"ok","bogus":1}', 422],
    ["POST", `${v1()}/services`, '{"name":"x","environmentId":"1st999999"}', 422],
    ["GET", `${v1()}/environments?created_gt=abc`, undefined, 422],
    ["GET", `${v1()}/environments/1st999999`, undefined, 404],
    ["GET", `${v1()}/nosuch`, undefined, 404],
    ["POST", `${v1()}/environments/${stackId}?action=nosuch`, "{}", 422],
  ];
  for (const [method, path, body, status] of cases) {
    const r = await admin.raw(method, path, { body, headers: json });
    expect([method, path, body, r.status, r.body?.type]).toEqual([method, path, body, status, "error"]);
  }
  expect(
    await admin
      .as(null)
      .raw("GET", `${v1()}/environments`)
      .then((r) => r.status),
  ).toBe(401);
  expect(nonAuditRows(server)).toBe(before);
  expect(rowsFingerprint(server)).toBe(fingerprint);
});

test("the event stream under /v1 speaks v1: a stack's change arrives as an environment's", async () => {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}${v1()}/subscribe`, {
    headers: { Authorization: admin.auth! },
  });
  const messages: {
    name: string;
    resourceType?: string;
    data?: { resource: { id: string; type: string; links: { self: string } } };
  }[] = [];
  ws.onmessage = (m) => messages.push(JSON.parse(String(m.data)));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error("subscription refused"));
  });
  try {
    const created = await admin.post(`${v1()}/environments`, { name: "evented" });
    const id = expectStatus(created, 201).body.id;
    const change = await until("the environment's change event", () =>
      messages.find((m) => m.name === "resource.change" && m.data?.resource.id === id),
    );
    expect(change.resourceType).toBe("environment");
    expect(change.data!.resource.type).toBe("environment");
    expect(change.data!.resource.links.self).toBe(`${server.url}${v1()}/environments/${id}`);
  } finally {
    ws.close();
  }
});

test("logs/exec streams answer under /v1; agents connect under /v2-beta only", async () => {
  const wsBase = server.url.replace(/^http/, "ws");
  const refused = (path: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsBase}${path}`, { headers: { Authorization: admin.auth! } });
      ws.onopen = () => {
        ws.close();
        resolve(101);
      };
      ws.onerror = () => resolve(-1);
    });
  // A stream without its token is refused at the upgrade (the path itself is known).
  expect(await refused("/v1/streams?token=nosuch")).toBe(-1);
  const r = await fetch(`${server.url}/v1/streams?token=nosuch`, {
    headers: { Upgrade: "websocket", Connection: "Upgrade", Authorization: admin.auth! },
  });
  expect(r.status).toBe(401);
  const agentPath = await fetch(`${server.url}/v1/agent/connect`, {
    headers: { Upgrade: "websocket", Connection: "Upgrade", Authorization: admin.auth! },
  });
  expect(agentPath.status).toBe(404);
});
