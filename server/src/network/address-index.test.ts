import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatId } from "@corral/api";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { AddressIndex } from "./address-index.ts";
import { addressUse, allocateAddress } from "./allocation.ts";

const project = "1a1";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function container(store: Store, hostId: string, ip: string, state = "running") {
  return store.insert("container", { projectId: project, state, data: { hostId, managedIp: ip } });
}

/** What a scan of the rows says a host holds: the truth the index must match. */
function scanned(store: Store, hostId: string): string[] {
  return store.db
    .query<{ ip: string }, [string]>(
      `SELECT json_extract(data, '$.managedIp') AS ip FROM resource WHERE type = 'container'
         AND state != 'removed' AND json_extract(data, '$.hostId') = ? AND json_extract(data, '$.managedIp') IS NOT NULL`,
    )
    .all(hostId)
    .map((r) => r.ip)
    .sort();
}

const sorted = (s: Set<string>) => [...s].sort();

test("the index follows inserts, moves, address changes and removals; removed rows never count", () => {
  const store = new Store(openDatabase(":memory:"));
  const index = AddressIndex.of(store);
  const a = container(store, "1h1", "10.42.0.2");
  const b = container(store, "1h1", "10.42.0.3");
  container(store, "1h2", "10.42.1.2");
  container(store, "1h1", "10.42.0.9", "removed");
  expect(sorted(index.taken("1h1"))).toEqual(["10.42.0.2", "10.42.0.3"]);
  store.update(a.id, { data: { managedIp: "10.42.0.4" } });
  store.update(b.id, { state: "removing" });
  expect(sorted(index.taken("1h1"))).toEqual(["10.42.0.3", "10.42.0.4"]);
  store.update(b.id, { state: "removed" });
  expect(sorted(index.taken("1h1"))).toEqual(["10.42.0.4"]);
  store.update(a.id, { data: { hostId: "1h2" } });
  expect(sorted(index.taken("1h1"))).toEqual([]);
  expect(sorted(index.taken("1h2"))).toEqual(scanned(store, "1h2"));
  expect(index.holders("1h2", "10.42.0.4")).toEqual([a.id]);
});

test("a transaction's own writes count inside it; after a rollback they never did", () => {
  const store = new Store(openDatabase(":memory:"));
  store.insert("host", {
    projectId: project,
    state: "active",
    data: { labels: {}, hostSubnet: "10.42.0.0/24" },
  });
  container(store, "1h1", "10.42.0.2");
  const index = AddressIndex.of(store);
  expect(() =>
    store.transaction(() => {
      container(store, "1h1", "10.42.0.3");
      // Inside: the new row holds its address, so the next allocation skips it.
      expect(allocateAddress(store, project, "1h1").managedIp).not.toBe("10.42.0.3");
      expect(index.taken("1h1").has("10.42.0.3")).toBe(true);
      throw new Error("rolled back");
    }),
  ).toThrow("rolled back");
  expect(sorted(index.taken("1h1"))).toEqual(["10.42.0.2"]);
  expect(sorted(index.taken("1h1"))).toEqual(scanned(store, "1h1"));
});

test("an index first built inside a transaction that rolls back keeps none of its writes", () => {
  const store = new Store(openDatabase(":memory:"));
  const kept = container(store, "1h1", "10.42.0.2");
  expect(() =>
    store.transaction(() => {
      container(store, "1h1", "10.42.0.3");
      store.update(kept.id, { state: "removed" });
      const index = AddressIndex.of(store);
      expect(sorted(index.taken("1h1"))).toEqual(["10.42.0.3"]);
      throw new Error("rolled back");
    }),
  ).toThrow("rolled back");
  expect(sorted(AddressIndex.of(store).taken("1h1"))).toEqual(["10.42.0.2"]);
});

test("after a restart the index is rebuilt from the store", () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-index-"));
  dirs.push(dir);
  const file = join(dir, "corral.db");
  const first = new Store(openDatabase(file));
  const host = formatId(
    "host",
    first.insert("host", { projectId: project, state: "active", data: { labels: {} } }).id,
  );
  expect(host).toBe("1h1");
  for (let i = 0; i < 5; i++) {
    first.transaction(() => container(first, host, allocateAddress(first, project, host).managedIp));
  }
  const gone = container(first, "1h1", "10.42.0.50");
  first.update(gone.id, { state: "removed" });
  const before = sorted(AddressIndex.of(first).taken("1h1"));
  first.db.close();
  const second = new Store(openDatabase(file));
  expect(sorted(AddressIndex.of(second).taken("1h1"))).toEqual(before);
  expect(before).toEqual(scanned(second, "1h1"));
  expect(before).toHaveLength(5);
  second.db.close();
});

test("a slice's use counts the addresses held in it against 253", () => {
  const store = new Store(openDatabase(":memory:"));
  for (let i = 2; i < 12; i++) container(store, "1h1", `10.42.0.${i}`);
  expect(addressUse(store, project, { id: "1h1", subnet: "10.42.0.0/24" })).toEqual({
    capacity: 253,
    inUse: 10,
  });
  expect(addressUse(store, project, { id: "1h1", subnet: undefined })).toEqual({ capacity: 253, inUse: 0 });
});
