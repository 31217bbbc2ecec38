import { AppError } from "@corral/lib";
import { type Filter, type FilterModifier, filterModifiers } from "../store/rows.ts";
import type { FieldDef, ResourceDef } from "./definition.ts";

const reserved = new Set(["limit", "marker", "sort", "order", "include", "action", "projectId", "all"]);

/** Rancher's "no limit" (`limit=-2`, which its CLI sends on every list): all rows, up to this many. */
export const unlimitedPage = 10_000;

/** Parsed collection query: filters, sort, and page. */
export interface CollectionParams {
  filters: Filter[];
  sort?: { field: string; order: "asc" | "desc" };
  limit: number;
  marker?: string;
}

/**
 * Reads Rancher-style collection parameters: `field=v` (repeat for OR), `field_<modifier>=v`,
 * `sort`, `order`, `limit` (default 100, at most 1000; `-2` is Rancher's "no limit") and `marker`.
 * Parameters that name no filterable field (`all=true`, a client's own additions, a field that is
 * not a filter) are ignored, as Rancher ignored them: its clients send them on every request. What
 * is malformed is refused: a value a filterable field cannot hold, a bad limit, sort or marker.
 * `system` is Rancher's flag for its own infrastructure stacks and services: nothing here is one,
 * so `system=false` keeps every row and `system=true` none.
 */
export function parseCollectionParams(def: ResourceDef, url: URL): CollectionParams {
  const filters: Filter[] = [];
  const grouped = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  for (const [key, values] of grouped) {
    if (reserved.has(key)) continue;
    if (key === "system") {
      if (values.some((v) => v !== "true" && v !== "false"))
        throw new AppError("InvalidFormat", "system: must be true or false", { detail: { field: key } });
      // No row is a system row: true matches nothing (an id is never null).
      if (values.includes("true")) filters.push({ field: "id", modifier: "null", values: [] });
      continue;
    }
    let field = key;
    let modifier: FilterModifier = "eq";
    const m = /^(.+)_([a-z]+)$/.exec(key);
    if (m && (filterModifiers as readonly string[]).includes(m[2]!) && def.fields[m[1]!]?.filter) {
      field = m[1]!;
      modifier = m[2] as FilterModifier;
    }
    if (!def.fields[field]?.filter) continue;
    if (values.some((v) => v.length > 1024))
      throw new AppError("InvalidFormat", `${key}: filter value too long`);
    if (modifier !== "null" && modifier !== "notnull")
      checkFilterValues(key, def.fields[field]!, modifier, values);
    const badId = (v: string) => !/^1[a-z]{1,3}[0-9]{1,15}$/.test(v);
    if (field === "id" && modifier !== "null" && modifier !== "notnull" && values.some(badId)) {
      throw new AppError("InvalidOption", `${key}: not an id`);
    }
    filters.push({ field, modifier, values });
  }
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? 100 : limitText === "-2" ? unlimitedPage : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || (limit > 1000 && limitText !== "-2")) {
    throw new AppError("InvalidOption", "limit: must be an integer from 1 to 1000, or -2 for all rows");
  }
  const sortField = url.searchParams.get("sort");
  if (sortField !== null && !def.fields[sortField]?.filter) {
    throw new AppError("InvalidOption", `sort: ${def.type} cannot be sorted by ${sortField}`);
  }
  const order = url.searchParams.get("order") ?? "asc";
  if (order !== "asc" && order !== "desc") throw new AppError("InvalidOption", "order: must be asc or desc");
  const marker = url.searchParams.get("marker") ?? undefined;
  if (marker !== undefined && !/^[mo]\d{1,15}$/.test(marker))
    throw new AppError("InvalidOption", "marker: not a marker this API gave out");
  return {
    filters,
    limit,
    marker,
    ...(sortField || url.searchParams.has("order") ? { sort: { field: sortField ?? "id", order } } : {}),
  };
}

/**
 * Refuses filter values the field's type cannot hold (`created_gt=abc`, `scale=many`): Rancher
 * answers InvalidFormat for those, and InvalidOption for a value outside an enum, where matching
 * nothing would hide the mistake.
 */
function checkFilterValues(key: string, field: FieldDef, modifier: FilterModifier, values: string[]): void {
  // Substring modifiers take any text, whatever the type.
  if (modifier === "prefix" || modifier === "like" || modifier === "notlike") return;
  for (const v of values) {
    if (field.type === "date" && !isDate(v))
      throw new AppError(
        "InvalidFormat",
        `${key}: ${JSON.stringify(v.slice(0, 64))} is not a date (ISO 8601 or milliseconds)`,
        {
          detail: { field: key },
        },
      );
    if (field.type === "int" && !/^-?\d{1,15}$/.test(v))
      throw new AppError("InvalidFormat", `${key}: ${JSON.stringify(v.slice(0, 64))} is not an integer`, {
        detail: { field: key },
      });
    if (field.type === "boolean" && v !== "true" && v !== "false")
      throw new AppError("InvalidFormat", `${key}: ${JSON.stringify(v.slice(0, 64))} is not true or false`, {
        detail: { field: key },
      });
    if (
      field.type === "enum" &&
      field.options &&
      !field.options.includes(v) &&
      (modifier === "eq" || modifier === "ne")
    )
      throw new AppError("InvalidOption", `${key}: must be one of ${field.options.join(", ")}`, {
        detail: { field: key },
      });
  }
}

/** Milliseconds since the epoch, or a date Date.parse reads that starts like ISO 8601. */
function isDate(v: string): boolean {
  if (/^\d{1,15}$/.test(v)) return true;
  return /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v));
}
