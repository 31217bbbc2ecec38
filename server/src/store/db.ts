import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { permissiveContainerPolicy } from "@corral/api";
import { ensurePrivateFile } from "./data-folder.ts";

/**
 * Opens (creating if needed) the SQLite store and brings its schema up to date.
 * One table holds every resource: one global AUTOINCREMENT sequence gives ids that are never reused
 * across types, and the fields of each type live in a JSON column queried with json_extract.
 * The database file and its -wal and -shm files are 0600: they hold keys and tokens in clear.
 */
export function openDatabase(path: string): Database {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    ensurePrivateFile(path);
    for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) ensurePrivateFile(path + suffix);
  }
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  migrate(db);
  return db;
}

const migrations: string[] = [
  `CREATE TABLE resource (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     type TEXT NOT NULL,
     project_id TEXT,
     name TEXT,
     state TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     removed INTEGER,
     lookup TEXT,
     secret TEXT,
     data TEXT NOT NULL
   );
   CREATE INDEX resource_type_project ON resource (type, project_id, id);
   CREATE INDEX resource_type_state ON resource (type, state);
   CREATE UNIQUE INDEX resource_lookup ON resource (type, lookup) WHERE lookup IS NOT NULL;
   CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Containers are looked up by their host and service on every ping and reconcile pass.
  `CREATE INDEX resource_host_id ON resource (json_extract(data, '$.hostId'));
   CREATE INDEX resource_service_id ON resource (json_extract(data, '$.serviceId'));`,
  // Container policies: environments made before them keep what they had (everything allowed), so
  // an upgrade refuses none of their stacks; new ones get the default (api/src/policy.ts).
  `UPDATE resource SET data = json_set(data, '$.containerPolicy', json('${JSON.stringify(permissiveContainerPolicy)}'))
   WHERE type = 'project' AND json_extract(data, '$.containerPolicy') IS NULL;`,
  // Environment members with roles (Rancher 1.6's projectMember): each account id of a project's old
  // \`members\` list becomes an owner (members had full access before roles), and the list goes.
  `INSERT INTO resource (type, project_id, name, state, created, updated, data)
   SELECT 'projectMember', '1a' || p.id, COALESCE(a.name, m.value), 'active', p.updated, p.updated,
          json_object('externalId', m.value, 'externalIdType', 'rancher_id', 'role', 'owner',
                      'name', COALESCE(a.name, m.value))
   FROM resource p JOIN json_each(p.data, '$.members') m
   LEFT JOIN resource a ON a.type = 'account' AND '1a' || a.id = m.value
   WHERE p.type = 'project' AND p.state != 'removed' AND m.type = 'text'
   ORDER BY p.id, m.key;
   UPDATE resource SET data = json_remove(data, '$.members') WHERE type = 'project';`,
];

function migrate(db: Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.query<{ version: number }, []>("SELECT version FROM schema_version").get();
  let version = row?.version ?? 0;
  if (!row) db.exec("INSERT INTO schema_version (version) VALUES (0)");
  while (version < migrations.length) {
    const sql = migrations[version]!;
    db.transaction(() => {
      db.exec(sql);
      db.query("UPDATE schema_version SET version = ?").run(version + 1);
    })();
    version++;
  }
}
