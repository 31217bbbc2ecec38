// Bad URLs and query strings: bad ids on every collection and verb, unknown collections, methods
// and actions, actions not valid in the current state, and bad filters, sort fields, limits and
// markers. Each must be a 4xx with the error body and must write nothing but audit rows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;
let containerId: string;

const collections = [
  "projects",
  "accounts",
  "apikeys",
  "registrationtokens",
  "hosts",
  "containers",
  "auditlogs",
];
const badIds = [
  "x",
  "1a",
  "1i99999999999999999999",
  "%2e%2e%2fetc",
  "..%2Fetc",
  "1a0",
  "1a01",
  "-1",
  "1a1.5",
  "1x1",
];

/** Sends requests (string bodies as they are), and returns a line for each answer that is not a proper refusal or that wrote something. */
async function refusals(
  requests: [method: string, path: string, body?: unknown][],
  statuses?: number[],
): Promise<string[]> {
  const problems: string[] = [];
  // At rest once (the fixture's container may still be settling); then each refusal is compared
  // with the rows just before it: settling before every request cost 20 s per collection.
  let before = await settledFingerprint(server);
  for (const [method, path, body] of requests) {
    const res = await admin.raw(method, path, {
      body: typeof body === "string" || body === undefined ? body : JSON.stringify(body),
      headers: { "Content-Type": "application/json" },
    });
    const ok =
      (statuses ? statuses.includes(res.status) : res.status >= 400 && res.status < 500) &&
      res.body?.type === "error" &&
      res.body.status === res.status &&
      typeof res.body.code === "string" &&
      rowsFingerprint(server) === before;
    if (!ok) problems.push(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 140)}`);
    before = rowsFingerprint(server);
  }
  return problems;
}

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
  const c = await admin.post(`/v2-beta/projects/${project.id}/containers`, { imageUuid: "busybox" });
  containerId = expectStatus(c, 201).body.id;
  await until(
    "running",
    async () => (await admin.get(`/v2-beta/containers/${containerId}`)).body.state === "running",
  );
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

describe("bad ids", () => {
  test.each(collections)(
    "%s: every verb answers 404 for ids that are not ids of this type",
    async (collection) => {
      const requests: [string, string, unknown?][] = [];
      for (const id of badIds) {
        for (const base of [
          `/v2-beta/${collection}/${id}`,
          `/v2-beta/projects/${project.id}/${collection}/${id}`,
        ]) {
          requests.push(["GET", base], ["PUT", base, { description: "x" }], ["DELETE", base]);
          requests.push(["POST", `${base}?action=deactivate`], ["GET", `${base}/stats`]);
        }
      }
      expect(await refusals(requests, [404])).toEqual([]);
    },
  );

  test("ids of another type are not found, even with the same prefix", async () => {
    const requests: [string, string][] = [
      ["GET", `/v2-beta/projects/${server.admin.adminAccountId}`],
      ["GET", `/v2-beta/accounts/${project.id}`],
      ["GET", `/v2-beta/hosts/${containerId}`],
      ["GET", `/v2-beta/registrationtokens/${project.key.id}`],
      ["GET", `/v2-beta/apikeys/${project.tokenId}`],
      ["DELETE", `/v2-beta/apikeys/${project.tokenId}`],
      ["GET", `/v2-beta/projects/${containerId}/hosts`],
      ["GET", `/v2-beta/projects/1a999999/hosts`],
    ];
    expect(await refusals(requests, [404])).toEqual([]);
  });
});

describe("unknown routes and methods", () => {
  test("unknown collections, nested collections that do not live in a project, and bad sub-resources", async () => {
    const requests: [string, string, unknown?][] = [
      ["GET", "/v2-beta/nothing"],
      ["POST", "/v2-beta/nothing", {}],
      ["GET", `/v2-beta/projects/${project.id}/nothing`],
      ["GET", `/v2-beta/projects/${project.id}/projects`],
      ["GET", `/v2-beta/projects/${project.id}/accounts`],
      ["POST", `/v2-beta/projects/${project.id}/accounts`, { name: "x" }],
      ["GET", `/v2-beta/hosts/${agent.hostId}/logs`],
      ["GET", `/v2-beta/containers/${containerId}/nothing`],
      ["GET", `/v2-beta/containers/${containerId}/constructor`],
      ["GET", `/v2-beta/containers/${containerId}/__proto__`],
      ["GET", `/v2-beta/containers/${containerId}/toString`],
      ["GET", "/v2-beta/schemas/nothing"],
      ["GET", `/v2-beta/projects/${project.id}/hosts/${agent.hostId}/a/b`],
    ];
    expect(await refusals(requests, [404])).toEqual([]);
  });

  test("verbs a type does not offer", async () => {
    const requests: [string, string, unknown?][] = [
      ["PUT", `/v2-beta/apikeys/${project.key.id}`, { name: "x" }],
      ["PUT", `/v2-beta/registrationtokens/${project.tokenId}`, { name: "x" }],
      ["POST", `/v2-beta/projects/${project.id}/hosts`, { hostname: "x" }],
      ["POST", "/v2-beta/auditlogs", {}],
      ["POST", `/v2-beta/projects/${project.id}`, {}],
      ["POST", `/v2-beta/projects/${project.id}?action=`, {}],
      ["PATCH", `/v2-beta/projects/${project.id}`, { name: "x" }],
    ];
    expect(await refusals(requests, [404, 405])).toEqual([]);
  });
});

describe("actions", () => {
  test("unknown action names are refused with 422, including names of Object's own members", async () => {
    const names = [
      "explode",
      "ACTIVATE",
      "activate2",
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
    ];
    const requests: [string, string][] = [];
    for (const name of names) {
      requests.push(["POST", `/v2-beta/projects/${project.id}?action=${name}`]);
      requests.push(["POST", `/v2-beta/containers/${containerId}?action=${name}`]);
      requests.push(["POST", `/v2-beta/registrationtokens/${project.tokenId}?action=${name}`]);
    }
    expect(await refusals(requests, [422])).toEqual([]);
  });

  test("actions not valid in the current state are refused with 409", async () => {
    const requests: [string, string][] = [
      ["POST", `/v2-beta/projects/${project.id}?action=activate`],
      ["POST", `/v2-beta/apikeys/${project.key.id}?action=activate`],
      ["POST", `/v2-beta/hosts/${agent.hostId}?action=activate`],
      ["POST", `/v2-beta/accounts/${server.admin.adminAccountId}?action=activate`],
      ["POST", `/v2-beta/containers/${containerId}?action=start`],
      ["POST", `/v2-beta/containers/${containerId}?action=purge`],
      ["DELETE", `/v2-beta/hosts/${agent.hostId}`],
      ["DELETE", `/v2-beta/projects/${project.id}`],
    ];
    expect(await refusals(requests, [409])).toEqual([]);
  });

  test("actions on removed rows are refused with 409", async () => {
    const key = expectStatus(await admin.post(`/v2-beta/projects/${project.id}/apikeys`, {}), 201).body;
    expectStatus(await admin.del(`/v2-beta/apikeys/${key.id}`), 200);
    const requests: [string, string][] = [
      ["POST", `/v2-beta/apikeys/${key.id}?action=activate`],
      ["POST", `/v2-beta/apikeys/${key.id}?action=deactivate`],
      ["DELETE", `/v2-beta/apikeys/${key.id}`],
    ];
    expect(await refusals(requests, [409])).toEqual([]);
  });
});

describe("collection queries", () => {
  const bad = [
    `name=${"x".repeat(2000)}`,
    "system=maybe",
    "sort=nosuch",
    "sort=secretValue",
    "sort=name;DROP TABLE resource",
    "order=up",
    "order=",
    "limit=0",
    "limit=-1",
    "limit=abc",
    "limit=1001",
    "limit=1.5",
    "limit=",
    "marker=x",
    "marker=m",
    "marker=m-1",
    "marker=o1e9",
    "marker=m12345678901234567",
    "marker=' OR 1=1 --",
  ];

  test.each(["projects", "apikeys", "hosts", "containers", "auditlogs"])(
    "%s refuses bad filters, sort fields, orders, limits and markers with 422",
    async (collection) => {
      const requests = bad.map((q): [string, string] => ["GET", `/v2-beta/${collection}?${q}`]);
      expect(await refusals(requests, [422])).toEqual([]);
    },
  );

  test.each(["projects", "apikeys", "hosts", "containers", "auditlogs"])(
    "%s ignores parameters that name no filter, as Rancher did, and answers every row",
    async (collection) => {
      const all = expectStatus(await admin.get(`/v2-beta/${collection}`), 200).body.data.map(
        (r: { id: string }) => r.id,
      );
      for (const q of [
        "nosuchfield=1",
        "name_bogus=x",
        "name_=x",
        "_ne=x",
        "secretValue=x",
        "transitioning=yes",
        "all=true",
        "system=false",
        "limit=-2",
      ]) {
        const rows = expectStatus(await admin.get(`/v2-beta/${collection}?${q}`), 200).body.data;
        expect([q, rows.map((r: { id: string }) => r.id)]).toEqual([q, all]);
      }
      expect(expectStatus(await admin.get(`/v2-beta/${collection}?system=true`), 200).body.data).toEqual([]);
    },
  );

  test("filter values are data, never SQL or patterns", async () => {
    for (const q of ["name=' OR '1'='1", "name_like=%25", "name_prefix=%25", "name_ne=' OR 1=1 --"]) {
      const res = expectStatus(await admin.get(`/v2-beta/projects?${q}`), 200).body;
      const names = res.data.map((p: { name: string }) => p.name);
      if (q.startsWith("name_ne")) expect(names).toContain(project.name);
      else expect(names).toEqual([]);
    }
    expect(expectStatus(await admin.get("/v2-beta/projects"), 200).body.data.length).toBeGreaterThan(1);
  });
});

// Last: if the server wrongly accepts these, the actions run and change the rows used above.
describe("actions that take no input", () => {
  test.each([
    ["deactivate a project", () => `/v2-beta/projects/${project.id}?action=deactivate`],
    ["deactivate an apiKey", () => `/v2-beta/apikeys/${project.key.id}?action=deactivate`],
    ["deactivate a host", () => `/v2-beta/hosts/${agent.hostId}?action=deactivate`],
    ["stop a container", () => `/v2-beta/containers/${containerId}?action=stop`],
  ])("%s: a body that is not a JSON object is refused with 400 and changes nothing", async (_name, path) => {
    // `null` is what gdapi clients send for an action without input: it counts as an empty body.
    const bodies = ["[]", '"stop"', "7", "{"];
    expect(
      await refusals(
        bodies.map((body): [string, string, string] => ["POST", path(), body]),
        [400],
      ),
    ).toEqual([]);
  });
});
