// Collection queries: filters with modifiers and repeated values, sort/order, limit and following
// pagination.next through every page, ids that are never reused, and removed rows read by id.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { adminClient, type Client, expectStatus, startTestServer } from "./harness.ts";

let server: RunningServer;
let admin: Client;
/** The 25 projects made for these tests, in creation order. */
const made: { id: string; name: string }[] = [];
const prefix = "pg";

const num = (id: string) => Number(id.replace(/^1[a-z]+/, ""));
const names = async (query: string): Promise<string[]> =>
  expectStatus(await admin.get(`/v2-beta/projects?${query}`), 200).body.data.map(
    (p: { name: string }) => p.name,
  );

/** Follows pagination.next from `first` and returns every row seen, checking each page's shape. */
async function allPages(first: string): Promise<{ id: string; name: string }[]> {
  const rows: { id: string; name: string }[] = [];
  let url: string | null = first;
  for (let pages = 0; url; pages++) {
    if (pages > 20) throw new Error("pagination does not end");
    const page: {
      data: { id: string; name: string }[];
      pagination: { next: string | null; partial: boolean };
    } = expectStatus(await admin.get(url), 200).body;
    expect(page.data.length).toBeLessThanOrEqual(10);
    expect(page.pagination.partial).toBe(page.pagination.next !== null);
    rows.push(...page.data);
    url = page.pagination.next;
  }
  return rows;
}

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  for (let i = 0; i < 25; i++) {
    const name = `${prefix}-${String(i).padStart(2, "0")}`;
    const body = i % 5 === 0 ? { name } : { name, description: `number ${i}` };
    made.push(expectStatus(await admin.post("/v2-beta/projects", body), 201).body);
  }
});

afterAll(() => server.stop());

describe("pagination", () => {
  test("limit=10 gives three pages that hold all 25 projects once, in id order", async () => {
    const first = `/v2-beta/projects?name_prefix=${prefix}-&limit=10`;
    const page1 = expectStatus(await admin.get(first), 200).body;
    expect(page1.data).toHaveLength(10);
    expect(page1.pagination).toMatchObject({ limit: 10, partial: true });
    expect(page1.pagination.next).toStartWith(`${server.url}/v2-beta/projects?`);
    const rows = await allPages(first);
    expect(rows.map((r) => r.id)).toEqual(made.map((p) => p.id));
  });

  test("pages sorted by name, descending, also hold every row once", async () => {
    const rows = await allPages(`/v2-beta/projects?name_prefix=${prefix}-&limit=10&sort=name&order=desc`);
    expect(rows.map((r) => r.name)).toEqual(made.map((p) => p.name).reverse());
  });

  test("order=desc alone pages by id descending", async () => {
    const rows = await allPages(`/v2-beta/projects?name_prefix=${prefix}-&limit=10&order=desc`);
    expect(rows.map((r) => r.id)).toEqual(made.map((p) => p.id).reverse());
  });

  test("the last page has no next link", async () => {
    const page = expectStatus(await admin.get(`/v2-beta/projects?name_prefix=${prefix}-&limit=25`), 200).body;
    expect(page.data).toHaveLength(25);
    expect(page.pagination).toMatchObject({ next: null, partial: false });
  });
});

describe("filters", () => {
  test("plain equality, and repeated values mean any of them", async () => {
    expect(await names(`name=${prefix}-03`)).toEqual([`${prefix}-03`]);
    expect(await names(`name=${prefix}-03&name=${prefix}-07&name=nope`)).toEqual([
      `${prefix}-03`,
      `${prefix}-07`,
    ]);
  });

  test("_ne excludes one or several values", async () => {
    const all = await names(`name_prefix=${prefix}-`);
    expect(all).toHaveLength(25);
    const ne = await names(`name_prefix=${prefix}-&name_ne=${prefix}-00&name_ne=${prefix}-01`);
    expect(ne).toEqual(all.slice(2));
  });

  test("_prefix and _like match the start and any part of a value", async () => {
    expect(await names(`name_prefix=${prefix}-1`)).toHaveLength(10);
    expect(await names(`name_like=-2`)).toEqual(made.slice(20).map((p) => p.name));
    // LIKE wildcards in the value are literal characters, not patterns.
    expect(await names(`name_like=%25`)).toEqual([]);
    expect(await names(`name_prefix=_`)).toEqual([]);
  });

  test("_null and _notnull", async () => {
    const noDescription = await names(`name_prefix=${prefix}-&description_null=`);
    expect(noDescription).toEqual(made.filter((_, i) => i % 5 === 0).map((p) => p.name));
    expect(await names(`name_prefix=${prefix}-&description_notnull=`)).toHaveLength(20);
    expect(await names(`name_prefix=${prefix}-&removed_notnull=`)).toEqual([]);
  });

  test("_gt and _lt on ids", async () => {
    const between = await names(`id_gt=${made[4]!.id}&id_lt=${made[8]!.id}`);
    expect(between).toEqual(made.slice(5, 8).map((p) => p.name));
  });

  test("the collection echoes the filters it applied", async () => {
    const list = expectStatus(
      await admin.get(`/v2-beta/projects?name_prefix=${prefix}-2&state=active`),
      200,
    ).body;
    expect(list.filters.name).toEqual([{ modifier: "prefix", value: `${prefix}-2` }]);
    expect(list.filters.state).toEqual([{ modifier: "eq", value: "active" }]);
    expect(list.filters.description).toBeNull();
    expect(list.data.map((p: { name: string }) => p.name)).toEqual(made.slice(20).map((p) => p.name));
  });

  test("state filters follow actions", async () => {
    const target = made[10]!;
    expectStatus(await admin.post(`/v2-beta/projects/${target.id}?action=deactivate`), 200);
    expect(await names(`name_prefix=${prefix}-&state=inactive`)).toEqual([target.name]);
    expect(await names(`name_prefix=${prefix}-&state_ne=inactive`)).toHaveLength(24);
    expectStatus(await admin.post(`/v2-beta/projects/${target.id}?action=activate`), 200);
    expect(await names(`name_prefix=${prefix}-&state=inactive`)).toEqual([]);
  });
});

describe("sort", () => {
  test("sort and order, with a sort block and sortLinks", async () => {
    const list = expectStatus(
      await admin.get(`/v2-beta/projects?name_prefix=${prefix}-&sort=name&order=desc`),
      200,
    ).body;
    expect(list.data[0].name).toBe(`${prefix}-24`);
    expect(list.data.at(-1).name).toBe(`${prefix}-00`);
    expect(list.sort).toMatchObject({ name: "name", order: "desc" });
    expect(list.sort.reverse).toContain("order=asc");
    expect(list.sortLinks.name).toContain("sort=name");
    const asc = expectStatus(await admin.get(list.sort.reverse), 200).body;
    expect(asc.data[0].name).toBe(`${prefix}-00`);
  });
});

describe("ids", () => {
  test("are never reused: create, remove, create gives a larger id", async () => {
    const first = expectStatus(await admin.post("/v2-beta/projects", { name: "reuse-me" }), 201).body;
    expectStatus(await admin.del(`/v2-beta/projects/${first.id}`), 200);
    const second = expectStatus(await admin.post("/v2-beta/projects", { name: "reuse-me" }), 201).body;
    expect(second.id).not.toBe(first.id);
    expect(num(second.id)).toBeGreaterThan(num(first.id));
  });

  test("a purged row's id is not reused either", async () => {
    const before = num(
      expectStatus(await admin.post("/v2-beta/projects", { name: "p-before" }), 201).body.id,
    );
    server.store.purge(before);
    const after = num(expectStatus(await admin.post("/v2-beta/projects", { name: "p-after" }), 201).body.id);
    expect(after).toBeGreaterThan(before);
  });

  test("removed rows stay readable by id, with state removed and a removed time", async () => {
    const p = expectStatus(await admin.post("/v2-beta/projects", { name: "to-remove" }), 201).body;
    const key = expectStatus(await admin.post(`/v2-beta/projects/${p.id}/apikeys`, {}), 201).body;
    expectStatus(await admin.del(`/v2-beta/apikeys/${key.id}`), 200);
    expectStatus(await admin.del(`/v2-beta/projects/${p.id}`), 200);
    const project = expectStatus(await admin.get(`/v2-beta/projects/${p.id}`), 200).body;
    expect(project.state).toBe("removed");
    expect(Date.parse(project.removed)).toBeGreaterThan(0);
    const removedKey = expectStatus(await admin.get(`/v2-beta/apikeys/${key.id}`), 200).body;
    expect(removedKey.state).toBe("removed");
    expect(await names(`name=to-remove&removed_notnull=`)).toEqual(["to-remove"]);
  });
});
