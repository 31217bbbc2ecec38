// Finding 4 of issue 12: a refused request was audited with its raw body (~890 KB rows, no cap on
// keys), and the response cache kept 1,000 collection pages of 17.8 MB (RSS 144 -> 670 MB). Now an
// audit row keeps a bounded, marked copy of the body, and the cache is bounded by bytes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
} from "../api/harness.ts";
import { rssAfterGc } from "./kit.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  await server.stop();
});

/** The newest audit row as stored: its size and what it kept. */
function lastAuditRow(): {
  bytes: number;
  data: { requestObject: unknown; requestObjectTruncated: boolean; responseCode: number };
} {
  const row = server.store.db
    .query<{ data: string }, []>("SELECT data FROM resource WHERE type = 'auditLog' ORDER BY id DESC LIMIT 1")
    .get()!;
  return { bytes: row.data.length, data: JSON.parse(row.data) };
}

describe("audit rows of refused requests", () => {
  test("a refused ~890 KB body leaves a row of at most ~17 KB, marked truncated", async () => {
    const body = { name: "Not A Label!", dockerCompose: `# ${"c".repeat(890_000)}\nservices: {}\n` };
    const res = await project.client.post(`/v2-beta/projects/${project.id}/stacks`, body);
    expect(res.status).toBe(422);
    const row = lastAuditRow();
    console.log(`audit row of an 890 KB refused body: ${row.bytes} bytes`);
    expect(row.data.responseCode).toBe(422);
    expect(row.data.requestObjectTruncated).toBe(true);
    expect(row.bytes).toBeLessThan(20_000);
    expect((row.data.requestObject as { dockerCompose: string }).dockerCompose).toMatch(
      /\.\.\.\(\+\d+ chars\)$/,
    );
  });

  test("a body of 50,000 keys keeps the first hundred and says how many more there were", async () => {
    const environment = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`K${i}`, "v"]));
    const res = await project.client.post(`/v2-beta/projects/${project.id}/stacks`, {
      name: "Not A Label!",
      environment,
    });
    expect(res.status).toBe(422);
    const row = lastAuditRow();
    const kept = (row.data.requestObject as { environment: Record<string, string> }).environment;
    expect(row.data.requestObjectTruncated).toBe(true);
    expect(Object.keys(kept)).toHaveLength(101);
    expect(kept["..."]).toBe("+49900 keys");
    expect(row.bytes).toBeLessThan(20_000);
    // The API shows the same row, the mark included.
    const listed = expectStatus(await admin.get("/v2-beta/auditlogs?order=desc&limit=1"), 200).body.data[0];
    expect(listed.requestObjectTruncated).toBe(true);
  });

  test("an ordinary refused body is kept whole", async () => {
    await project.client.post(`/v2-beta/projects/${project.id}/stacks`, { name: "Bad!", description: "d" });
    expect(lastAuditRow().data).toMatchObject({
      requestObject: { name: "Bad!", description: "d" },
      requestObjectTruncated: false,
    });
  });
});

describe("the response cache", () => {
  test("many distinct large pages do not stay in memory", async () => {
    // Twenty stacks of ~900 KB each: a page of all of them is ~18 MB, of four ~3.6 MB.
    for (let i = 0; i < 20; i++) {
      expectStatus(
        await project.client.post(`/v2-beta/projects/${project.id}/stacks`, {
          name: `big-${i}`,
          startOnCreate: false,
          dockerCompose: `# ${"c".repeat(900_000)}\nversion: '2'\nservices:\n  web:\n    image: busybox\n`,
        }),
        201,
      );
    }
    const before = rssAfterGc();
    let pageBytes = 0;
    // Each query string is another cache key: the old cache kept up to 1,000 of them, whatever their size.
    for (let i = 0; i < 40; i++) {
      const limit = i % 2 === 0 ? 100 : 4;
      const res = await fetch(
        `${server.url}/v2-beta/projects/${project.id}/stacks?limit=${limit}&name_ne=n${i}`,
        { headers: { Authorization: project.client.auth! } },
      );
      expect(res.status).toBe(200);
      pageBytes += (await res.text()).length;
    }
    const grewMb = Math.round(rssAfterGc() - before);
    console.log(`40 distinct pages (${Math.round(pageBytes / 1e6)} MB in all): server RSS +${grewMb} MB`);
    // The cache holds at most 32 MiB of JSON; the old one held every page here (~400 MB).
    expect(pageBytes).toBeGreaterThan(300e6);
    expect(grewMb).toBeLessThan(150);
  });
});
