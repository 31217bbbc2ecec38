// The audit log: every successful mutating request (and the public register call) leaves one
// auditLog row naming the event, the resource, who did it, from where, and the request with secret
// fields redacted; refused requests are audited with their status; GET requests leave nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  type Answer,
  adminClient,
  auditRows,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

/** The newest audit row, read through the API. */
async function lastAudit() {
  const list = expectStatus(await admin.get("/v2-beta/auditlogs?order=desc&limit=1"), 200).body;
  return list.data[0];
}

/** Every audit row's stored text, straight from the database. */
function auditText(): string {
  return JSON.stringify(server.store.db.query("SELECT * FROM resource WHERE type = 'auditLog'").all());
}

interface Step {
  name: string;
  run: () => Promise<Answer>;
  eventType: string;
  resourceType: string;
  /** The id the row must name; defaults to the answer's id. */
  resourceId?: () => string;
  /** Who did it; defaults to the admin account. */
  as?: () => string | null;
  request?: unknown;
}

let made: Record<string, string> = {};

const steps: Step[] = [
  {
    name: "create project",
    run: () => admin.post("/v2-beta/projects", { name: "audited", description: "d" }),
    eventType: "api.project.create",
    resourceType: "project",
    request: { name: "audited", description: "d" },
  },
  {
    name: "update project",
    run: () => admin.put(`/v2-beta/projects/${made.project}`, { description: "e" }),
    eventType: "api.project.update",
    resourceType: "project",
    request: { description: "e" },
  },
  {
    name: "deactivate project",
    run: () => admin.post(`/v2-beta/projects/${made.project}?action=deactivate`),
    eventType: "api.project.deactivate",
    resourceType: "project",
  },
  {
    name: "activate project",
    run: () => admin.post(`/v2-beta/projects/${made.project}?action=activate`),
    eventType: "api.project.activate",
    resourceType: "project",
  },
  {
    name: "create apiKey",
    run: () => admin.post(`/v2-beta/projects/${made.project}/apikeys`, { name: "audited-key" }),
    eventType: "api.apiKey.create",
    resourceType: "apiKey",
    request: { name: "audited-key" },
  },
  {
    name: "deactivate apiKey",
    run: () => admin.post(`/v2-beta/apikeys/${made.apiKey}?action=deactivate`),
    eventType: "api.apiKey.deactivate",
    resourceType: "apiKey",
  },
  {
    name: "remove apiKey",
    run: () => admin.del(`/v2-beta/apikeys/${made.apiKey}`),
    eventType: "api.apiKey.remove",
    resourceType: "apiKey",
  },
  {
    name: "create registrationToken",
    run: () => admin.post(`/v2-beta/projects/${made.project}/registrationtokens`, {}),
    eventType: "api.registrationToken.create",
    resourceType: "registrationToken",
  },
  {
    name: "register a host (no credentials)",
    run: () =>
      admin
        .as(null)
        .post("/v2-beta/register", { token: project.token, hostname: "audited-host", uuid: "audited-0001" }),
    eventType: "agent.register",
    resourceType: "host",
    resourceId: () => made.agentRegistration!,
    as: () => null,
    request: { token: "<redacted>", hostname: "audited-host", uuid: "audited-0001" },
  },
  {
    name: "create account",
    run: () => admin.post("/v2-beta/accounts", { name: "audited-user" }),
    eventType: "api.account.create",
    resourceType: "account",
  },
  {
    name: "update host as an environment key",
    run: () => project.client.put(`/v2-beta/hosts/${agent.hostId}`, { labels: { role: "web" } }),
    eventType: "api.host.update",
    resourceType: "host",
    as: () => project.id,
    request: { labels: { role: "web" } },
  },
  {
    name: "create container with a secret in its environment",
    run: () =>
      admin.post(`/v2-beta/projects/${project.id}/containers`, {
        imageUuid: "busybox",
        environment: { DB_PASSWORD: "pw-0123456789", MODE: "prod" },
      }),
    eventType: "api.container.create",
    resourceType: "container",
    request: { imageUuid: "busybox", environment: { DB_PASSWORD: "<redacted>", MODE: "prod" } },
  },
  {
    name: "remove project",
    run: () => admin.del(`/v2-beta/projects/${made.project}`),
    eventType: "api.project.remove",
    resourceType: "project",
  },
];

describe("successful mutating requests", () => {
  beforeAll(() => {
    made = {};
  });

  test.each(steps)("$name leaves one audit row", async (step) => {
    const before = auditRows(server);
    const res = await step.run();
    expect(res.status).toBeLessThan(300);
    const id = res.body.id ?? res.body.hostId;
    if (res.body.type === "agentRegistration") made.agentRegistration = res.body.hostId;
    else if (!made[res.body.type]) made[res.body.type] = id;
    expect(auditRows(server)).toBe(before + 1);
    const row = await lastAudit();
    expect(row).toMatchObject({
      type: "auditLog",
      eventType: step.eventType,
      resourceType: step.resourceType,
      resourceId: step.resourceId ? step.resourceId() : id,
      authenticatedAsAccountId: step.as ? step.as() : server.admin.adminAccountId,
      responseCode: res.status,
    });
    expect(row.clientIp).toMatch(/127\.0\.0\.1|::1/);
    if (step.request !== undefined) expect(row.requestObject).toEqual(step.request);
  });

  test("secrets of the requests never reach the audit table", () => {
    const text = auditText();
    expect(text).not.toContain(project.token);
    expect(text).not.toContain("pw-0123456789");
  });
});

describe("refused requests", () => {
  test("are audited with their status, with secret fields redacted", async () => {
    const before = auditRows(server);
    const body = {
      name: "x",
      password: "hunter2-secret",
      nested: { secretValue: "s3cr3t-value", privateKey: "pk" },
    };
    const res = await admin.post("/v2-beta/projects", body);
    expect(res.status).toBe(422);
    expect(auditRows(server)).toBe(before + 1);
    const row = await lastAudit();
    expect(row).toMatchObject({ eventType: "api.project.create", responseCode: 422 });
    expect(row.requestObject).toEqual({
      name: "x",
      password: "<redacted>",
      nested: { secretValue: "<redacted>", privateKey: "<redacted>" },
    });
    const text = auditText();
    for (const secret of ["hunter2-secret", "s3cr3t-value"]) expect(text).not.toContain(secret);
  });
});

describe("reads", () => {
  test("GET requests leave no audit rows", async () => {
    const before = auditRows(server);
    const paths = [
      "/v2-beta",
      "/v2-beta/schemas",
      "/v2-beta/schemas/project",
      "/v2-beta/projects",
      `/v2-beta/projects/${project.id}`,
      `/v2-beta/projects/${project.id}/hosts`,
      `/v2-beta/hosts/${agent.hostId}`,
      "/v2-beta/auditlogs",
      "/v2-beta/apikeys",
      "/v2-beta/accounts",
      "/v2-beta/projects/1a999999",
      "/v2-beta/projects?limit=0",
    ];
    for (const path of paths) await admin.get(path);
    await project.client.get("/v2-beta/containers");
    expect(auditRows(server)).toBe(before);
  });

  test("an environment key reads its own project's audit rows only", async () => {
    const rows = expectStatus(await project.client.get("/v2-beta/auditlogs"), 200).body.data;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.accountId).toBe(project.id);
  });
});
