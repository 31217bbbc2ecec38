import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultContainerPolicy, permissiveContainerPolicy } from "@corral/api";
import { projectPolicy } from "../services/container-policy.ts";
import { openDatabase } from "./db.ts";

const dir = mkdtempSync(join(tmpdir(), "corral-policy-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("environments made before container policies keep everything allowed; new ones get the default", () => {
  const path = join(dir, "corral.db");
  let db = openDatabase(path);
  const insert = db.query(
    "INSERT INTO resource (type, name, state, created, updated, data) VALUES ('project', ?, 'active', 0, 0, ?)",
  );
  insert.run("old", JSON.stringify({ members: [] }));
  insert.run("set", JSON.stringify({ members: [], containerPolicy: { allowHostNetwork: true } }));
  // Back to the schema before policies, as a database written by the previous version is.
  db.query("UPDATE schema_version SET version = 2").run();
  db.close();

  db = openDatabase(path);
  const policyOf = (name: string) => {
    const row = db.query<{ data: string }, [string]>("SELECT data FROM resource WHERE name = ?").get(name)!;
    return projectPolicy(JSON.parse(row.data));
  };
  expect(policyOf("old")).toEqual(permissiveContainerPolicy);
  // A policy already there is left alone.
  expect(policyOf("set")).toEqual({ ...defaultContainerPolicy, allowHostNetwork: true });
  db.query(
    "INSERT INTO resource (type, name, state, created, updated, data) VALUES ('project', 'new', 'active', 0, 0, '{}')",
  ).run();
  db.close();
  db = openDatabase(path);
  expect(policyOf("new")).toEqual(defaultContainerPolicy);
  db.close();
});
