// Rancher API conventions: the /v2-beta root and its links, /v2-beta/schemas, the common fields of
// every resource and collection, and `actions` that follow a resource's state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

const types = ["project", "account", "apiKey", "registrationToken", "host", "container", "auditLog"];
const collections = [
  "projects",
  "accounts",
  "apikeys",
  "registrationtokens",
  "hosts",
  "containers",
  "auditlogs",
];

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;
let containerId: string;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("host active", () => server.hub.isConnected(agent.hostId));
  const c = await admin.post(`/v2-beta/projects/${project.id}/containers`, { imageUuid: "docker:busybox" });
  containerId = expectStatus(c, 201).body.id;
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

describe("the /v2-beta root", () => {
  test("links to itself, the schemas and every collection, and each link works", async () => {
    const root = expectStatus(await admin.get("/v2-beta"), 200);
    expect(root.body.type).toBe("apiVersion");
    expect(root.body.links.self).toBe(`${server.url}/v2-beta`);
    expect(root.body.links.schemas).toBe(`${server.url}/v2-beta/schemas`);
    expect(root.headers.get("x-api-schemas")).toBe(`${server.url}/v2-beta/schemas`);
    for (const name of collections) {
      expect(root.body.links[name]).toBe(`${server.url}/v2-beta/${name}`);
      const list = await admin.get(root.body.links[name]);
      expect(list.status).toBe(200);
      expect(list.body.type).toBe("collection");
    }
  });
});

describe("/v2-beta/schemas", () => {
  test("lists every type with fields, methods, actions and filters", async () => {
    const schemas = expectStatus(await admin.get("/v2-beta/schemas"), 200).body;
    expect(schemas.type).toBe("collection");
    const ids = schemas.data.map((s: { id: string }) => s.id);
    for (const type of types) expect(ids).toContain(type);
    for (const schema of schemas.data) {
      expect(schema.type).toBe("schema");
      expect(typeof schema.links.self).toBe("string");
      expect(Object.keys(schema.resourceFields).length).toBeGreaterThan(0);
      expect(schema.collectionMethods).toContain("GET");
      expect(schema.resourceMethods).toContain("GET");
      expect(typeof schema.resourceActions).toBe("object");
      expect(schema.collectionFilters.id.modifiers).toEqual(
        expect.arrayContaining(["eq", "ne", "lt", "gt", "prefix", "like", "null", "notnull"]),
      );
      for (const field of Object.values(schema.resourceFields) as { type: string }[])
        expect(typeof field.type).toBe("string");
    }
  });

  test("describes what each type allows", async () => {
    const byId = async (id: string) => expectStatus(await admin.get(`/v2-beta/schemas/${id}`), 200).body;
    const projectSchema = await byId("project");
    expect(projectSchema.collectionMethods).toEqual(["GET", "POST"]);
    expect(projectSchema.resourceMethods).toEqual(["GET", "PUT", "DELETE"]);
    expect(Object.keys(projectSchema.resourceActions).sort()).toEqual([
      "activate",
      "deactivate",
      "osupgrade",
      "rotateipsecpsk",
      "setmembers",
    ]);
    expect(projectSchema.resourceFields.name).toMatchObject({ type: "string", create: true, required: true });
    expect((await byId("host")).collectionMethods).toEqual(["GET"]);
    expect((await byId("auditlog")).collectionMethods).toEqual(["GET"]);
    expect(Object.keys((await byId("container")).resourceActions)).toEqual(
      expect.arrayContaining(["start", "stop", "restart", "remove", "logs", "execute"]),
    );
    expect((await byId("apikey")).resourceFields.secretValue.type).toBe("password");
    const missing = await admin.get("/v2-beta/schemas/nothing");
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe("error");
  });
});

describe("resources", () => {
  test("carry id, type, links.self, actions, state, transitioning, transitioningMessage, created", async () => {
    const audit = expectStatus(await admin.get("/v2-beta/auditlogs?limit=1"), 200).body.data[0];
    const paths = [
      `/v2-beta/projects/${project.id}`,
      `/v2-beta/accounts/${server.admin.adminAccountId}`,
      `/v2-beta/apikeys/${project.key.id}`,
      `/v2-beta/registrationtokens/${project.tokenId}`,
      `/v2-beta/hosts/${agent.hostId}`,
      `/v2-beta/containers/${containerId}`,
      `/v2-beta/auditlogs/${audit.id}`,
    ];
    for (const [i, path] of paths.entries()) {
      const r = expectStatus(await admin.get(path), 200).body;
      expect(r.type).toBe(types[i]!);
      expect(typeof r.id).toBe("string");
      expect(typeof r.state).toBe("string");
      expect(["yes", "no", "error"]).toContain(r.transitioning);
      expect("transitioningMessage" in r).toBe(true);
      expect(Number.isNaN(Date.parse(r.created))).toBe(false);
      expect(typeof r.actions).toBe("object");
      // The self link works and names the same resource.
      expect(expectStatus(await admin.get(r.links.self), 200).body.id).toBe(r.id);
    }
  });

  test("scoped resources link inside their project and carry its id as accountId", async () => {
    const host = expectStatus(await admin.get(`/v2-beta/hosts/${agent.hostId}`), 200).body;
    expect(host.links.self).toBe(`${server.url}/v2-beta/projects/${project.id}/hosts/${agent.hostId}`);
    expect(host.accountId).toBe(project.id);
    expect(host.agentState).toBe("active");
  });
});

describe("collections", () => {
  test.each(collections)("%s carries data, pagination, filters, sortLinks and createTypes", async (name) => {
    const list = expectStatus(await admin.get(`/v2-beta/${name}`), 200).body;
    expect(list.type).toBe("collection");
    expect(Array.isArray(list.data)).toBe(true);
    expect(list.pagination).toMatchObject({ limit: 100 });
    expect("next" in list.pagination).toBe(true);
    expect(list.filters.id).toBeNull();
    expect(list.sortLinks.id).toContain("sort=id");
    expect(typeof list.createTypes).toBe("object");
    expect(list.links.self).toBe(`${server.url}/v2-beta/${name}`);
  });

  test("createTypes names the collection URL only where POST creates", async () => {
    const projects = expectStatus(await admin.get("/v2-beta/projects"), 200).body;
    expect(projects.createTypes).toEqual({ project: `${server.url}/v2-beta/projects` });
    const hosts = expectStatus(await admin.get("/v2-beta/hosts"), 200).body;
    expect(hosts.createTypes).toEqual({});
  });
});

describe("actions follow the state", () => {
  test("a project offers deactivate while active and activate while inactive", async () => {
    const p = (await createProject(admin)).id;
    const base = `${server.url}/v2-beta/projects/${p}`;
    const active = expectStatus(await admin.get(`/v2-beta/projects/${p}`), 200).body;
    expect(active.actions).toEqual({
      deactivate: `${base}?action=deactivate`,
      osupgrade: `${base}?action=osupgrade`,
      rotateipsecpsk: `${base}?action=rotateipsecpsk`,
      setmembers: `${base}?action=setmembers`,
    });
    const inactive = expectStatus(await admin.post(active.actions.deactivate), 200).body;
    expect(inactive.state).toBe("inactive");
    expect(inactive.actions).toEqual({
      activate: `${base}?action=activate`,
      setmembers: `${base}?action=setmembers`,
    });
    expect(expectStatus(await admin.get(`/v2-beta/projects/${p}`), 200).body.state).toBe("inactive");
    const again = expectStatus(await admin.post(inactive.actions.activate), 200).body;
    expect(again.state).toBe("active");
    expect(Object.keys(again.actions)).toEqual(["deactivate", "rotateipsecpsk", "osupgrade", "setmembers"]);
  });

  test("an apiKey deactivates and activates the same way", async () => {
    const key = expectStatus(await admin.post(`/v2-beta/projects/${project.id}/apikeys`, {}), 201).body;
    expect(Object.keys(key.actions)).toEqual(["deactivate"]);
    const off = expectStatus(await admin.post(`/v2-beta/apikeys/${key.id}?action=deactivate`), 200).body;
    expect(off.state).toBe("inactive");
    expect(Object.keys(off.actions)).toEqual(["activate"]);
    const on = expectStatus(await admin.post(`/v2-beta/apikeys/${key.id}?action=activate`), 200).body;
    expect(on.state).toBe("active");
  });

  test("a running container offers stop, restart, remove, logs and execute, but not start or purge", async () => {
    const c = await until("container running", async () => {
      const r = (await admin.get(`/v2-beta/containers/${containerId}`)).body;
      return r.state === "running" ? r : null;
    });
    expect(Object.keys(c.actions).sort()).toEqual(["execute", "logs", "remove", "restart", "stop"]);
    expect(c.transitioning).toBe("no");
  });

  test("a removed resource offers no actions", async () => {
    const p = (await createProject(admin)).id;
    const removed = expectStatus(await admin.del(`/v2-beta/projects/${p}`), 200).body;
    expect(removed.state).toBe("removed");
    expect(removed.actions).toEqual({});
    expect(Number.isNaN(Date.parse(removed.removed))).toBe(false);
  });
});
