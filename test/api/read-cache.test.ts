// The read path keeps encoded resources and collection pages between requests: every write must be
// visible to the very next read, whether it is a GET of the row, a list of its type, or a filtered
// and paged list.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { adminClient, type Client, expectStatus, startTestServer, uniqueName } from "./harness.ts";

let server: RunningServer;
let admin: Client;

beforeAll(() => {
  server = startTestServer();
  admin = adminClient(server);
});

afterAll(async () => {
  await server.stop();
});

test("an edit shows at once in the row, in lists and in filtered lists that were read before", async () => {
  const name = uniqueName("cache");
  const created = expectStatus(await admin.post("/v2-beta/projects", { name }), 201).body;
  // Warm every cached form.
  expect(expectStatus(await admin.get(`/v2-beta/projects/${created.id}`), 200).body.description).toBeNull();
  expect(
    (await admin.get("/v2-beta/projects")).body.data.some((p: { id: string }) => p.id === created.id),
  ).toBe(true);
  expect((await admin.get(`/v2-beta/projects?name=${name}`)).body.data).toHaveLength(1);

  expectStatus(await admin.put(`/v2-beta/projects/${created.id}`, { description: "changed" }), 200);
  expect((await admin.get(`/v2-beta/projects/${created.id}`)).body.description).toBe("changed");
  const listed = (await admin.get("/v2-beta/projects")).body.data.find(
    (p: { id: string }) => p.id === created.id,
  );
  expect(listed.description).toBe("changed");
  expect((await admin.get(`/v2-beta/projects?name=${name}`)).body.data[0].description).toBe("changed");
});

test("a state change shows at once, with the actions of the new state", async () => {
  const created = expectStatus(
    await admin.post("/v2-beta/projects", { name: uniqueName("cache") }),
    201,
  ).body;
  expect((await admin.get(`/v2-beta/projects/${created.id}`)).body.actions.deactivate).toBeDefined();
  expect((await admin.get(`/v2-beta/projects?state=inactive&name=${created.name}`)).body.data).toHaveLength(
    0,
  );
  expectStatus(await admin.post(`/v2-beta/projects/${created.id}?action=deactivate`, {}), 200);
  const now = (await admin.get(`/v2-beta/projects/${created.id}`)).body;
  expect(now.state).toBe("inactive");
  expect(now.actions.activate).toBeDefined();
  expect(now.actions.deactivate).toBeUndefined();
  expect((await admin.get(`/v2-beta/projects?state=inactive&name=${created.name}`)).body.data).toHaveLength(
    1,
  );
});

test("a new row appears in a list read just before, and a removed one changes state there", async () => {
  const before = (await admin.get("/v2-beta/apikeys")).body.data.length;
  const key = expectStatus(await admin.post("/v2-beta/apikeys", { name: uniqueName("k") }), 201).body;
  expect((await admin.get("/v2-beta/apikeys")).body.data).toHaveLength(before + 1);
  expectStatus(await admin.del(`/v2-beta/apikeys/${key.id}`), 200);
  const row = (await admin.get("/v2-beta/apikeys")).body.data.find((k: { id: string }) => k.id === key.id);
  expect(row.state).toBe("removed");
});

test("the same list read through another address gets links of that address", async () => {
  const a = (await admin.get("/v2-beta/projects")).body;
  const other = await fetch(`${server.url.replace("127.0.0.1", "localhost")}/v2-beta/projects`, {
    headers: { Authorization: admin.auth ?? "" },
  });
  expect(other.status).toBe(200);
  const b = (await other.json()) as { links: { self: string } };
  expect(a.links.self).toContain("127.0.0.1");
  expect(b.links.self).toContain("localhost");
});
