import type { SQLQueryBindings } from "bun:sqlite";
import type { Filter, ListQuery } from "./rows.ts";

const columns: Record<string, string> = {
  name: "name",
  state: "state",
  created: "created",
  updated: "updated",
  removed: "removed",
  projectId: "project_id",
  accountId: "project_id",
};

/** The SQL expression for a field: a column for common fields, json_extract for the rest. */
export function fieldSql(field: string, type?: string): string {
  if (field === "id") return "id";
  // API keys are owned by an account (data.accountId); only environment keys live in a project.
  const column = type === "apiKey" && field === "accountId" ? undefined : columns[field];
  if (column) return column;
  if (!/^[a-zA-Z][a-zA-Z0-9]{0,63}$/.test(field)) throw new Error(`bad field name ${field}`);
  return `json_extract(data, '$.${field}')`;
}

function coerce(field: string, value: string): SQLQueryBindings {
  if (field === "created" || field === "updated" || field === "removed") {
    if (/^\d+$/.test(value)) return Number(value);
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : t;
  }
  if (columns[field]) return value;
  if (/^-?\d+(\.\d+)?$/.test(value) && value.length < 16) return Number(value);
  if (value === "true") return 1;
  if (value === "false") return 0;
  return value;
}

function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Builds the WHERE clause of one filter; `idOf` turns public ids into row ids. */
function filterSql(
  f: Filter,
  params: SQLQueryBindings[],
  idOf: (v: string) => number | null,
  type: string,
): string {
  const expr = fieldSql(f.field, type);
  const value = (v: string): SQLQueryBindings => (f.field === "id" ? (idOf(v) ?? -1) : coerce(f.field, v));
  switch (f.modifier) {
    case "null":
      return `${expr} IS NULL`;
    case "notnull":
      return `${expr} IS NOT NULL`;
    case "eq":
    case "ne": {
      const parts = f.values.map((v) => {
        params.push(value(v));
        return "?";
      });
      const inList = parts.length === 1 ? `${expr} = ?` : `${expr} IN (${parts.join(",")})`;
      return f.modifier === "eq" ? inList : `(${expr} IS NULL OR NOT (${inList}))`;
    }
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      const op = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[f.modifier];
      params.push(value(f.values[0] ?? ""));
      return `${expr} ${op} ?`;
    }
    case "prefix":
      params.push(`${likePattern(f.values[0] ?? "")}%`);
      return `${expr} LIKE ? ESCAPE '\\'`;
    case "like":
    case "notlike":
      params.push(`%${likePattern(f.values[0] ?? "")}%`);
      return `${f.modifier === "notlike" ? "NOT " : ""}${expr} LIKE ? ESCAPE '\\'`;
  }
}

/** Turns a list query into SQL and parameters (asks one row more than the limit to know if there is a next page). */
export function buildListSql(
  q: ListQuery,
  idOf: (v: string) => number | null,
): { sql: string; params: SQLQueryBindings[]; offset: number } {
  const params: SQLQueryBindings[] = [q.type];
  const where = ["type = ?"];
  if (q.projectIds) {
    if (q.projectIds.length === 0) where.push("0");
    else {
      where.push(`project_id IN (${q.projectIds.map(() => "?").join(",")})`);
      params.push(...q.projectIds);
    }
  }
  for (const f of q.filters) where.push(filterSql(f, params, idOf, q.type));
  const sortField = q.sort?.field ?? "id";
  const order = q.sort?.order === "desc" ? "DESC" : "ASC";
  let offset = 0;
  if (q.marker?.startsWith("m") && sortField === "id") {
    const after = Number(q.marker.slice(1));
    where.push(order === "ASC" ? "id > ?" : "id < ?");
    params.push(Number.isFinite(after) ? after : 0);
  } else if (q.marker?.startsWith("o")) {
    offset = Math.max(0, Math.min(Number(q.marker.slice(1)) || 0, 1_000_000_000));
  }
  const orderBy = sortField === "id" ? `id ${order}` : `${fieldSql(sortField, q.type)} ${order}, id ${order}`;
  const sql = `SELECT * FROM resource WHERE ${where.join(" AND ")} ORDER BY ${orderBy} LIMIT ${q.limit + 1} OFFSET ${offset}`;
  return { sql, params, offset };
}
