/** The resource types the store holds. */
export const resourceTypes = [
  "project",
  "account",
  "apiKey",
  "registrationToken",
  "host",
  "container",
  "auditLog",
  "stack",
  "service",
  "certificate",
  "volume",
  "projectMember",
  "session",
  "registry",
  "registryCredential",
  "secret",
  "receiver",
  "catalog",
] as const;

/** A resource type the store holds. */
export type ResourceType = (typeof resourceTypes)[number];

/** One stored resource: common columns plus the type's own fields in `data`. */
export interface Row<T extends object = object> {
  id: number;
  type: ResourceType;
  projectId: string | null;
  name: string | null;
  state: string;
  created: number;
  updated: number;
  removed: number | null;
  lookup: string | null;
  data: T;
}

/** A raw row as SQLite returns it. */
export interface RawRow {
  id: number;
  type: string;
  project_id: string | null;
  name: string | null;
  state: string;
  created: number;
  updated: number;
  removed: number | null;
  lookup: string | null;
  data: string;
}

/** Turns a raw SQLite row into a {@link Row}. */
export function fromRaw<T extends object>(raw: RawRow): Row<T> {
  return {
    id: raw.id,
    type: raw.type as ResourceType,
    projectId: raw.project_id,
    name: raw.name,
    state: raw.state,
    created: raw.created,
    updated: raw.updated,
    removed: raw.removed,
    lookup: raw.lookup,
    data: JSON.parse(raw.data) as T,
  };
}

/** Filter modifiers of the Rancher API. */
export const filterModifiers = [
  "eq",
  "ne",
  "lt",
  "lte",
  "gt",
  "gte",
  "prefix",
  "like",
  "notlike",
  "null",
  "notnull",
] as const;
/** A filter modifier. */
export type FilterModifier = (typeof filterModifiers)[number];

/** One filter condition: all conditions of a query are ANDed. */
export interface Filter {
  field: string;
  modifier: FilterModifier;
  values: string[];
}

/** A list query against one type. */
export interface ListQuery {
  type: ResourceType;
  /** Restrict to these projects; undefined means no restriction. */
  projectIds?: string[];
  filters: Filter[];
  sort?: { field: string; order: "asc" | "desc" };
  limit: number;
  marker?: string;
  includeRemoved?: boolean;
}

/** A page of a list query. */
export interface ListPage<T extends object> {
  rows: Row<T>[];
  next: string | null;
}
