import { describe, expect, test } from "bun:test";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { ResourceDef } from "./definition.ts";
import { ResponseCache } from "./response-cache.ts";

/** A store that only announces changes. */
function fakeStore() {
  const listeners = new Set<(c: { row: Row }) => void>();
  return {
    store: { onChange: (l: (c: { row: Row }) => void) => listeners.add(l) } as unknown as Store,
    change: (row: Partial<Row>) => {
      for (const l of listeners) l({ row: row as Row });
    },
  };
}

const def = {
  type: "project",
  collection: "projects",
  scoped: false,
  fields: {},
  actions: {},
  present: (row: Row) => ({ blob: (row.data as { blob: string }).blob }),
} as unknown as ResourceDef;

const row = (id: number, blob = "x"): Row =>
  ({ id, type: "project", state: "active", data: { blob }, created: 0 }) as unknown as Row;

describe("the response cache is bounded by bytes", () => {
  test("pages are kept until their type changes, then dropped at once", () => {
    const { store, change } = fakeStore();
    const cache = new ResponseCache(store);
    let builds = 0;
    const build = () => {
      builds++;
      return { data: [1, 2, 3] };
    };
    cache.page("project", "a", build);
    cache.page("project", "a", build);
    cache.page("host", "b", () => ({ data: [] }));
    expect(builds).toBe(1);
    expect(cache.count).toBe(2);
    change({ id: 9, type: "project" });
    // The stale page is gone, not merely skipped; the other type's page stays.
    expect(cache.count).toBe(1);
    cache.page("project", "a", build);
    expect(builds).toBe(2);
  });

  test("many large pages never hold more than the byte bound", () => {
    const { store } = fakeStore();
    const limits = { bytes: 1_000_000, entryBytes: 300_000 };
    const cache = new ResponseCache(store, limits);
    for (let i = 0; i < 1000; i++) cache.page("project", `k${i}`, () => ({ s: "y".repeat(100_000 + i) }));
    expect(cache.bytes).toBeLessThanOrEqual(limits.bytes);
    expect(cache.count).toBeLessThanOrEqual(10);
    // The most recent pages are the ones kept.
    let rebuilt = false;
    cache.page("project", "k999", () => {
      rebuilt = true;
      return {};
    });
    expect(rebuilt).toBe(false);
  });

  test("an answer above the entry bound is served but not kept", () => {
    const { store } = fakeStore();
    const cache = new ResponseCache(store, { bytes: 1_000_000, entryBytes: 1000 });
    const json = cache.page("project", "big", () => ({ s: "z".repeat(5000) }));
    expect(json.length).toBeGreaterThan(5000);
    expect(cache.count).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  test("resources: a changed row is encoded again; a hit moves it to the young end", () => {
    const { store, change } = fakeStore();
    const cache = new ResponseCache(store, { bytes: 2000, entryBytes: 2000 });
    const blob = (r: Row, base: string) => JSON.parse(cache.resource(def, r, base)).blob;
    expect(blob(row(1, "old"), "http://a")).toBe("old");
    expect(blob(row(1, "new"), "http://a")).toBe("old");
    change({ id: 1, type: "project" });
    expect(blob(row(1, "new"), "http://a")).toBe("new");
    // Another base URL replaces the entry rather than adding one.
    blob(row(1, "new"), "http://b");
    expect(cache.count).toBe(1);
    // Fill past the bound while touching row 1: row 1 stays, the others rotate out.
    for (let i = 2; i < 50; i++) {
      blob(row(i, "fill"), "http://b");
      blob(row(1, "ignored"), "http://b");
    }
    expect(cache.bytes).toBeLessThanOrEqual(2000);
    expect(cache.count).toBeLessThan(10);
    expect(blob(row(1, "ignored"), "http://b")).toBe("new");
  });
});
