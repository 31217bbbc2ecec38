import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./db.ts";

const dir = mkdtempSync(join(tmpdir(), "corral-members-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the account ids of an environment's old members list become owner memberships", () => {
  const path = join(dir, "corral.db");
  let db = openDatabase(path);
  const insert = db.query<{ id: number }, [string, string, string, string]>(
    "INSERT INTO resource (type, name, state, created, updated, data) VALUES (?, ?, ?, 0, 0, ?) RETURNING id",
  );
  const alice = insert.get("account", "alice", "active", JSON.stringify({ kind: "user" }))!.id;
  const bob = insert.get("account", "bob", "active", JSON.stringify({ kind: "user" }))!.id;
  const shared = insert.get(
    "project",
    "shared",
    "active",
    JSON.stringify({ members: [`1a${alice}`, `1a${bob}`] }),
  )!.id;
  insert.get("project", "empty", "active", JSON.stringify({ members: [] }));
  insert.get("project", "gone", "removed", JSON.stringify({ members: [`1a${alice}`] }));
  // Back to the schema before memberships, as a database written by the previous version is.
  db.query("UPDATE schema_version SET version = 3").run();
  db.close();

  db = openDatabase(path);
  const rows = db
    .query<{ project_id: string; name: string; state: string; data: string }, []>(
      "SELECT project_id, name, state, data FROM resource WHERE type = 'projectMember' ORDER BY id",
    )
    .all();
  expect(rows.map((r) => ({ ...r, data: JSON.parse(r.data) }))).toEqual([
    {
      project_id: `1a${shared}`,
      name: "alice",
      state: "active",
      data: { externalId: `1a${alice}`, externalIdType: "rancher_id", role: "owner", name: "alice" },
    },
    {
      project_id: `1a${shared}`,
      name: "bob",
      state: "active",
      data: { externalId: `1a${bob}`, externalIdType: "rancher_id", role: "owner", name: "bob" },
    },
  ]);
  const leftovers = db
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM resource WHERE type = 'project' AND json_extract(data, '$.members') IS NOT NULL",
    )
    .get()!;
  expect(leftovers.n).toBe(0);
  db.close();
  // Opening again changes nothing.
  db = openDatabase(path);
  expect(
    db.query<{ n: number }, []>("SELECT count(*) AS n FROM resource WHERE type = 'projectMember'").get()!.n,
  ).toBe(2);
  db.close();
});
