// Bad request bodies on every endpoint that reads one: malformed JSON, non-object JSON, empty bodies,
// unknown fields, wrong types, very long strings, huge bodies and non-JSON content types. Each must
// be a 4xx with the error body, and must write nothing but audit rows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  type Answer,
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
let containerId: string;
let userId: string;

/** One endpoint that reads a body, with bodies that are well-formed JSON objects but wrong for it. */
interface Endpoint {
  name: string;
  method: "POST" | "PUT";
  path: () => string;
  /** Sent without credentials (register). */
  public?: boolean;
  /** Actions accept an empty body as `{}`. */
  emptyIsEmptyObject?: boolean;
  /** Objects with wrong types, bad values, missing required fields or strings that are too long. */
  wrong: Record<string, unknown>[];
}

const long = (n: number) => "a".repeat(n);
/** A well-formed registration token (the register cases fail before it is looked up). */
const someToken = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789ABCDEFGH";

const endpoints: Endpoint[] = [
  {
    name: "create project",
    method: "POST",
    path: () => "/v2-beta/projects",
    wrong: [
      {},
      { name: null },
      { name: 5 },
      { name: ["a"] },
      { name: "" },
      { name: "bad name!" },
      { name: long(100_000) },
      { name: "ok", description: 7 },
      { name: "ok", description: long(2000) },
      { name: "ok", servicesPortRange: { startPort: "1", endPort: 2 } },
      { name: "ok", servicesPortRange: { startPort: 9000, endPort: 10 } },
      { name: "ok", servicesPortRange: { startPort: 0, endPort: 70000 } },
    ],
  },
  {
    name: "update project",
    method: "PUT",
    path: () => `/v2-beta/projects/${project.id}`,
    // `id` and the other presented fields are ignored on update, as Rancher ignored them.
    wrong: [{ name: 5 }, { name: null }, { description: false }, { name: long(200) }],
  },
  {
    name: "create account",
    method: "POST",
    path: () => "/v2-beta/accounts",
    wrong: [{}, { name: 1 }, { name: "x", kind: "agent" }, { name: "x", kind: 3 }, { name: long(129) }],
  },
  {
    name: "update account",
    method: "PUT",
    path: () => `/v2-beta/accounts/${userId}`,
    wrong: [{ name: 3 }, { description: [] }, { kind: "admin" }, { description: long(5000) }],
  },
  {
    name: "create apiKey",
    method: "POST",
    path: () => `/v2-beta/projects/${project.id}/apikeys`,
    wrong: [{ name: 1 }, { description: {} }, { name: long(129) }, { secretValue: "chosen" }],
  },
  {
    name: "create registrationToken",
    method: "POST",
    path: () => `/v2-beta/projects/${project.id}/registrationtokens`,
    wrong: [{ name: 1 }, { token: "chosen-token-value" }, { description: long(1025) }],
  },
  {
    name: "update host",
    method: "PUT",
    path: () => `/v2-beta/hosts/${agent.hostId}`,
    wrong: [
      { labels: "a=b" },
      { labels: ["a"] },
      { labels: { a: 1 } },
      { labels: { "": "x" } },
      { labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, "v"])) },
      { labels: { a: long(5000) } },
      { name: 3 },
      { agentState: "active" },
    ],
  },
  {
    name: "create container",
    method: "POST",
    path: () => `/v2-beta/projects/${project.id}/containers`,
    wrong: [
      {},
      { imageUuid: 5 },
      { imageUuid: "Not An Image" },
      { imageUuid: `docker:${long(600)}` },
      { imageUuid: "busybox", ports: "80" },
      { imageUuid: "busybox", ports: ["abc"] },
      { imageUuid: "busybox", ports: ["99999:80"] },
      { imageUuid: "busybox", ports: ["0"] },
      { imageUuid: "busybox", memory: -1 },
      { imageUuid: "busybox", memory: "1g" },
      { imageUuid: "busybox", cpuShares: 1.5 },
      { imageUuid: "busybox", tty: "yes" },
      { imageUuid: "busybox", restartPolicy: { name: "sometimes" } },
      { imageUuid: "busybox", environment: { A: 1 } },
      { imageUuid: "busybox", networkMode: "container:" },
      { imageUuid: "busybox", dataVolumes: ["relative/path"] },
      { imageUuid: "busybox", command: long(9000) },
      { imageUuid: "busybox", requestedHostId: "1h999999" },
      { imageUuid: "busybox", requestedHostId: "../etc" },
      { imageUuid: "busybox", hostId: "1h1" },
    ],
  },
  {
    name: "update container",
    method: "PUT",
    path: () => `/v2-beta/containers/${containerId}`,
    wrong: [{ name: "bad name" }, { imageUuid: "busybox" }, { description: 1 }, { name: long(129) }],
  },
  {
    name: "container logs action",
    method: "POST",
    path: () => `/v2-beta/containers/${containerId}?action=logs`,
    emptyIsEmptyObject: true,
    wrong: [{ follow: "yes" }, { lines: -1 }, { lines: 1e9 }, { bogus: 1 }],
  },
  {
    name: "container execute action",
    method: "POST",
    path: () => `/v2-beta/containers/${containerId}?action=execute`,
    emptyIsEmptyObject: true,
    wrong: [{}, { command: "ls" }, { command: [] }, { command: [1] }, { command: ["sh"], tty: "no" }],
  },
  {
    name: "register",
    method: "POST",
    path: () => "/v2-beta/register",
    public: true,
    wrong: [
      {},
      { token: someToken, hostname: "h" },
      { token: "short", hostname: "h", uuid: "uuid-0000-1111" },
      { token: long(300), hostname: "h", uuid: "uuid-0000-1111" },
      { token: someToken, hostname: "", uuid: "uuid-0000-1111" },
      { token: someToken, hostname: long(300), uuid: "uuid-0000-1111" },
      { token: someToken, hostname: "h", uuid: "has spaces in it" },
      { token: someToken, hostname: "h", uuid: "uuid-0000-1111", labels: "x" },
      { token: someToken, hostname: "h", uuid: "uuid-0000-1111", hostId: "1h1" },
    ],
  },
];

/** Bodies that are wrong for any endpoint, as [description, raw body, expected status]. */
const generic: [string, string | Uint8Array, number][] = [
  ["malformed JSON", '{"name": ', 400],
  ["a trailing comma", '{"name": "x",}', 400],
  ["a JSON array", '[{"name": "x"}]', 400],
  ["an empty JSON array", "[]", 400],
  ["a JSON string", '"name"', 400],
  ["a JSON number", "42", 400],
  ["JSON null", "null", 400],
  ["JSON true", "true", 400],
  ["binary junk", new Uint8Array([0xff, 0xfe, 0x00, 0x9c, 0x7b]), 400],
  ["deeply nested arrays", "[".repeat(100_000) + "]".repeat(100_000), 400],
  ["an unknown field", '{"name": "x", "bogus": 1}', 422],
  ["a __proto__ field", '{"name": "x", "__proto__": {"kind": "admin"}}', 422],
];

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
  userId = expectStatus(await admin.post("/v2-beta/accounts", { name: "user-one" }), 201).body.id;
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

/**
 * Sends a request and returns what is wrong with the answer ("" when it was refused properly): it
 * must be a 4xx (one of `statuses` when given) with the error body, and no row may have changed.
 */
async function problem(
  e: Endpoint,
  body: string | Uint8Array | undefined,
  headers: Record<string, string>,
  statuses?: number[],
): Promise<string> {
  const before = nonAuditRows(server);
  const fingerprint = rowsFingerprint(server);
  const client = e.public ? admin.as(null) : admin;
  const res: Answer = await client.raw(e.method, e.path(), { body, headers });
  const shown = typeof body === "string" ? body.slice(0, 60) : "(bytes)";
  const wrote = nonAuditRows(server) - before || (rowsFingerprint(server) === fingerprint ? 0 : "changed");
  const ok =
    (statuses ? statuses.includes(res.status) : res.status >= 400 && res.status < 500) &&
    res.body?.type === "error" &&
    res.body.status === res.status &&
    typeof res.body.code === "string" &&
    typeof res.body.message === "string" &&
    wrote === 0;
  return ok
    ? ""
    : `${shown} -> ${res.status} ${JSON.stringify(res.body).slice(0, 160)} (rows written: ${wrote})`;
}

const json = { "Content-Type": "application/json" };

describe.each(endpoints)("$name", (e) => {
  // Actions read JSON null as an empty body (gdapi clients send it for an action without input).
  const cases = e.emptyIsEmptyObject ? generic.filter(([what]) => what !== "JSON null") : generic;
  test.each(cases)("refuses %s", async (_what, body, status) => {
    // A body with an unknown field that also lacks required fields may be reported either way.
    expect(await problem(e, body, json, status === 400 ? [400] : [400, 422])).toBe("");
  });

  test("refuses bodies with wrong types, bad values, missing fields or long strings", async () => {
    const problems: string[] = [];
    for (const body of e.wrong)
      problems.push(await problem(e, JSON.stringify(body), json, [400, 401, 409, 422]));
    expect(problems.filter(Boolean)).toEqual([]);
  });

  // Only actions read JSON null as an empty body (Rancher's clients send it for exportconfig).
  if (e.emptyIsEmptyObject)
    test("reads JSON null as an empty body", async () => {
      const res: Answer = await admin.raw(e.method, e.path(), { body: "null", headers: json });
      // logs opens a stream with the defaults; execute still needs its command.
      expect([200, 202, 422]).toContain(res.status);
    });

  // Actions read an empty body as {}; every other endpoint needs a body.
  if (!e.emptyIsEmptyObject)
    test("refuses an empty body", async () => {
      expect(await problem(e, "", json, [400])).toBe("");
      expect(await problem(e, "   \n", json, [400])).toBe("");
    });

  test("refuses a non-JSON content type", async () => {
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      expect(await problem(e, '{"name":"x"}', { "Content-Type": type }, [415])).toBe("");
    }
  });

  test("refuses a body over 1 MiB with 413, with or without a length", async () => {
    const big = `{"name": "${long(1536 * 1024)}"}`;
    expect(await problem(e, big, json, [413])).toBe("");
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const before = nonAuditRows(server);
    const res = await fetch(`${server.url}${e.path()}`, {
      method: e.method,
      body: stream,
      headers: { ...json, ...(e.public ? {} : { Authorization: admin.auth! }) },
    });
    expect(res.status).toBe(413);
    expect(nonAuditRows(server)).toBe(before);
  });
});

test("every endpoint refuses a body of several MiB with 413 and the error body", async () => {
  const problems: string[] = [];
  for (const e of endpoints) {
    const p = await problem(e, `{"name": "${long(3 * 1024 * 1024)}"}`, json, [413]);
    if (p) problems.push(`${e.name}: ${p.slice(p.indexOf("->"))}`);
  }
  expect(problems).toEqual([]);
});
