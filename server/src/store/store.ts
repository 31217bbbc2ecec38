import type { Database, SQLQueryBindings } from "bun:sqlite";
import { formatId, type IdType, parseId } from "@corral/api";
import { createLogger } from "@corral/lib";
import { buildListSql } from "./query.ts";
import { fromRaw, type ListPage, type ListQuery, type RawRow, type ResourceType, type Row } from "./rows.ts";

const log = createLogger("store");

/** How many rows the point-read cache keeps before it starts over. */
const rowCacheSize = 50_000;

/** A change to one row, delivered to listeners after its transaction commits. */
export interface RowChange {
  row: Row;
  previousState: string | null;
  /** The row before the change (null for inserts). */
  previous: Row | null;
}

/** Fields of a new row. */
export interface NewRow<T extends object> {
  projectId?: string | null;
  name?: string | null;
  state: string;
  lookup?: string | null;
  secret?: string | null;
  data: T;
}

/** Changes to apply to a row; `data` is merged shallowly into the stored data. */
export interface RowPatch {
  name?: string | null;
  state?: string;
  removed?: number | null;
  lookup?: string | null;
  secret?: string | null;
  data?: Record<string, unknown>;
}

/** Work that must happen only once a transaction's writes are durable (see {@link Store.afterCommit}). */
export type Effect = () => unknown;

/**
 * Every read and write of resources goes through this store. Writes inside {@link transaction}
 * are atomic; change listeners hear about them only after commit, so nobody sees a rolled-back row,
 * and effects queued with {@link afterCommit} run only then, so nothing leaves the process for one.
 */
export class Store {
  private readonly listeners = new Set<(change: RowChange) => void>();
  private pending: RowChange[] | null = null;
  private effects: Effect[] = [];
  /**
   * Point reads by id are answered from memory: every write goes through this store, which drops the
   * written row from the cache, and rows are frozen so no caller can change a cached copy.
   */
  private readonly rows = new Map<number, Row>();
  private readonly getStmt;
  private readonly lookupStmt;

  constructor(readonly db: Database) {
    this.getStmt = db.query<RawRow, [number]>("SELECT * FROM resource WHERE id = ?");
    this.lookupStmt = db.query<RawRow, [string, string]>(
      "SELECT * FROM resource WHERE type = ? AND lookup = ?",
    );
  }

  /**
   * Runs `fn` in one SQLite transaction (nested calls join the outer one). After it commits, change
   * listeners hear of its writes and then its queued effects run, in the order they were queued; a
   * rollback drops both.
   */
  transaction<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    this.effects = [];
    let changes: RowChange[] = [];
    let effects: Effect[] = [];
    try {
      const result = this.db.transaction(fn)();
      changes = this.pending;
      effects = this.effects;
      return result;
    } finally {
      this.pending = null;
      this.effects = [];
      for (const change of changes) this.emit(change);
      for (const effect of effects) runEffect(effect);
    }
  }

  /**
   * Queues work that reaches outside the process (agent events, background runners) to run once the
   * current transaction commits; it is dropped if the transaction rolls back. Outside a transaction
   * it runs at once. An effect's failure (thrown or rejected) is logged, never passed to the writer:
   * its writes are already committed.
   */
  afterCommit(effect: Effect): void {
    if (this.pending) this.effects.push(effect);
    else runEffect(effect);
  }

  /**
   * The changes written by the open transaction so far, oldest first (none outside a transaction):
   * for in-memory indexes that hold committed state and must see the transaction's own writes.
   */
  pendingChanges(): readonly RowChange[] {
    return this.pending ?? [];
  }

  /** True while a transaction is open (work with outside effects must wait, see {@link afterCommit}). */
  get inTransaction(): boolean {
    return this.pending !== null;
  }

  /** Registers a listener for committed changes; returns a function that removes it. */
  onChange(listener: (change: RowChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Inserts a row and returns it. */
  insert<T extends object>(type: ResourceType, row: NewRow<T>): Row<T> {
    const now = Date.now();
    const raw = this.db
      .query<RawRow, SQLQueryBindings[]>(
        `INSERT INTO resource (type, project_id, name, state, created, updated, lookup, secret, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        type,
        row.projectId ?? null,
        row.name ?? null,
        row.state,
        now,
        now,
        row.lookup ?? null,
        row.secret ?? null,
        JSON.stringify(row.data),
      )!;
    const created = fromRaw<T>(raw);
    this.record({ row: created as Row, previousState: null, previous: null });
    return created;
  }

  /** The row with this numeric id, or null. */
  get<T extends object = object>(id: number): Row<T> | null {
    const hit = this.rows.get(id);
    if (hit) return hit as Row<T>;
    const raw = this.getStmt.get(id);
    if (!raw) return null;
    const row = fromRaw<T>(raw);
    // Only committed rows are cached: inside a transaction a read may see what a rollback undoes.
    if (this.pending === null) {
      if (this.rows.size >= rowCacheSize) this.rows.clear();
      Object.freeze(row.data);
      this.rows.set(id, Object.freeze(row) as Row);
    }
    return row;
  }

  /** The row of `type` with public id `publicId`, or null when it is not one. */
  getByPublicId<T extends object = object>(type: ResourceType, publicId: string): Row<T> | null {
    const n = parseId(type as IdType, publicId);
    if (n === null) return null;
    const row = this.get<T>(n);
    return row && row.type === type ? row : null;
  }

  /** The row of `type` whose lookup key is `lookup`, or null. */
  getByLookup<T extends object = object>(type: ResourceType, lookup: string): Row<T> | null {
    const raw = this.lookupStmt.get(type, lookup);
    return raw ? fromRaw<T>(raw) : null;
  }

  /** The stored secret hash of a row (never part of `Row`, so it cannot leak into an answer). */
  secretOf(id: number): string | null {
    return (
      this.db.query<{ secret: string | null }, [number]>("SELECT secret FROM resource WHERE id = ?").get(id)
        ?.secret ?? null
    );
  }

  /**
   * Updates a row. With `expectStates`, the update happens only if the row is still in one of them
   * (the race is settled in SQL); returns the new row, or null when the row or its state did not match.
   */
  update<T extends object = object>(id: number, patch: RowPatch, expectStates?: string[]): Row<T> | null {
    return this.transaction(() => {
      const current = this.get(id);
      if (!current) return null;
      if (expectStates && !expectStates.includes(current.state)) return null;
      const sets: string[] = ["updated = ?"];
      const params: SQLQueryBindings[] = [Date.now()];
      if (patch.name !== undefined) sets.push("name = ?") && params.push(patch.name);
      if (patch.state !== undefined) sets.push("state = ?") && params.push(patch.state);
      if (patch.removed !== undefined) sets.push("removed = ?") && params.push(patch.removed);
      if (patch.lookup !== undefined) sets.push("lookup = ?") && params.push(patch.lookup);
      if (patch.secret !== undefined) sets.push("secret = ?") && params.push(patch.secret);
      if (patch.data) {
        sets.push("data = ?");
        params.push(JSON.stringify({ ...current.data, ...patch.data }));
      }
      let where = "id = ?";
      params.push(id);
      if (expectStates) {
        where += ` AND state IN (${expectStates.map(() => "?").join(",")})`;
        params.push(...expectStates);
      }
      const raw = this.db
        .query<RawRow, SQLQueryBindings[]>(
          `UPDATE resource SET ${sets.join(", ")} WHERE ${where} RETURNING *`,
        )
        .get(...params);
      if (!raw) return null;
      const row = fromRaw<T>(raw);
      if (row.state !== current.state || patch.data || patch.name !== undefined) {
        this.record({ row: row as Row, previousState: current.state, previous: current });
      }
      return row;
    });
  }

  /** Deletes a row for good (purge). */
  purge(id: number): void {
    this.db.query("DELETE FROM resource WHERE id = ?").run(id);
    this.rows.delete(id);
  }

  /** One page of rows of a type. */
  list<T extends object = object>(q: ListQuery): ListPage<T> {
    const { sql, params, offset } = buildListSql(q, (v) => parseId(q.type as IdType, v));
    const raws = this.db.query<RawRow, SQLQueryBindings[]>(sql).all(...params);
    const more = raws.length > q.limit;
    const rows = (more ? raws.slice(0, q.limit) : raws).map((r) => fromRaw<T>(r));
    let next: string | null = null;
    if (more) {
      const sortField = q.sort?.field ?? "id";
      next =
        sortField === "id" && !q.marker?.startsWith("o") ? `m${rows.at(-1)!.id}` : `o${offset + q.limit}`;
    }
    return { rows, next };
  }

  /**
   * All rows of a type matching simple equality conditions on columns (internal use), by id; with
   * `afterId` and `limit`, one page of them (for readers that yield between pages). With `shared`,
   * rows come from the point-read cache where they are there (frozen, the same objects every
   * reader gets): only rows written since are parsed again, which makes re-reading a large
   * project cheap for readers that change nothing.
   */
  all<T extends object = object>(
    type: ResourceType,
    where: {
      projectId?: string;
      state?: string[];
      dataField?: [string, SQLQueryBindings];
      afterId?: number;
      limit?: number;
      shared?: boolean;
    } = {},
  ): Row<T>[] {
    const cond = ["type = ?"];
    const params: SQLQueryBindings[] = [type];
    if (where.projectId !== undefined) cond.push("project_id = ?") && params.push(where.projectId);
    if (where.state) {
      cond.push(`state IN (${where.state.map(() => "?").join(",")})`);
      params.push(...where.state);
    }
    if (where.dataField) {
      if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(where.dataField[0])) throw new Error("bad field");
      cond.push(`json_extract(data, '$.${where.dataField[0]}') = ?`);
      params.push(where.dataField[1]);
    }
    if (where.afterId !== undefined) cond.push("id > ?") && params.push(where.afterId);
    const limit = where.limit !== undefined ? ` LIMIT ${Math.max(1, Math.floor(where.limit))}` : "";
    if (where.shared) {
      return this.db
        .query<{ id: number }, SQLQueryBindings[]>(
          `SELECT id FROM resource WHERE ${cond.join(" AND ")} ORDER BY id${limit}`,
        )
        .all(...params)
        .map((r) => this.get<T>(r.id))
        .filter((r): r is Row<T> => r !== null);
    }
    return this.db
      .query<RawRow, SQLQueryBindings[]>(
        `SELECT * FROM resource WHERE ${cond.join(" AND ")} ORDER BY id${limit}`,
      )
      .all(...params)
      .map((r) => fromRaw<T>(r));
  }

  /** The public id of a row. */
  publicId(row: Row): string {
    return formatId(row.type as IdType, row.id);
  }

  /** Reads a setting. */
  getSetting(name: string): string | null {
    return (
      this.db.query<{ value: string }, [string]>("SELECT value FROM setting WHERE name = ?").get(name)
        ?.value ?? null
    );
  }

  /** Writes a setting. */
  setSetting(name: string, value: string): void {
    this.db
      .query(
        "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      )
      .run(name, value);
  }

  private record(change: RowChange): void {
    this.rows.delete(change.row.id);
    if (this.pending) this.pending.push(change);
    else this.emit(change);
  }

  private emit(change: RowChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not undo or block a committed write.
      }
    }
  }
}

function runEffect(effect: Effect): void {
  try {
    const result = effect();
    if (result instanceof Promise) result.catch((e) => log.error("after-commit effect failed", { error: e }));
  } catch (e) {
    log.error("after-commit effect failed", { error: e });
  }
}
