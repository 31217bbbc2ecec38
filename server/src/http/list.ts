import { AppError } from "@corral/lib";
import type { Context } from "hono";
import { mayDo, type Principal } from "../auth/principal.ts";
import { areaOfType } from "../auth/role-matrix.ts";
import { actionsFilter, rolesKey } from "../services/authorize.ts";
import type { ResourceDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";
import { present } from "./present.ts";
import { parseCollectionParams } from "./query-params.ts";

/**
 * A Rancher-style collection answer: the rows the caller may see (by project membership or key
 * scope) filtered, sorted and paged, with `pagination`, `filters`, `sortLinks` and `createTypes`.
 */
export function listCollection(c: Context<ApiEnv>, def: ResourceDef, projectId: string | null) {
  const ctx = c.get("verbs")(c);
  const params = parseCollectionParams(def, new URL(c.req.url));
  const p = ctx.principal;
  const filters = [...params.filters, ...(def.view?.filters ?? [])];
  let projectIds: string[] | undefined;
  if (def.type === "project") {
    if (p.kind === "user") {
      const ids = Object.keys(p.roles ?? {});
      filters.push({ field: "id", modifier: "eq", values: ids.length ? ids : ["0"] });
    }
    if (p.kind === "project") filters.push({ field: "id", modifier: "eq", values: [p.projectId!] });
  } else if (def.type === "account") {
    if (p.kind === "project") throw new AppError("PermissionDenied", "environment keys cannot read accounts");
    if (p.kind === "user") filters.push({ field: "id", modifier: "eq", values: [p.accountId] });
  } else if (def.type === "apiKey" && !projectId) {
    if (p.kind === "project") projectIds = [p.projectId!];
    else filters.push({ field: "accountId", modifier: "eq", values: [p.accountId] });
  } else if (projectId) projectIds = [projectId];
  else if (p.kind === "user") projectIds = readableProjects(p, def.type);
  const base = c.get("base");
  const url = new URL(c.req.url);
  // The page depends on its rows (the cache tracks them by type), the caller's scope and the URL.
  // A person's page lists the actions their roles allow: their roles there are part of the key.
  const key = JSON.stringify([
    def.type,
    projectIds,
    filters,
    base,
    url.pathname,
    url.search,
    rolesKey(p, projectIds),
  ]);
  const json = c.get("cache").page(def.type, key, () => build());
  return c.body(json, 200, { "Content-Type": "application/json" });

  function build() {
    const page = ctx.store.list({
      type: def.type,
      projectIds,
      filters,
      sort: params.sort,
      limit: params.limit,
      marker: params.marker,
    });
    const collectionUrl = `${base}${url.pathname}`;
    const nextUrl = page.next ? withParam(url, base, "marker", page.next) : null;
    return {
      type: "collection",
      resourceType: def.schemaId ?? def.type,
      links: { self: `${base}${url.pathname}${url.search}` },
      createTypes: def.create ? { [def.schemaId ?? def.type]: collectionUrl } : {},
      actions: {},
      data: page.rows.map((row) => present(def, row, base, ctx.store, actionsFilter(ctx.store, p, row))),
      sortLinks: Object.fromEntries(
        Object.entries(def.fields)
          .filter(([, f]) => f.filter)
          .map(([name]) => [name, withParam(url, base, "sort", name)]),
      ),
      pagination: {
        first: null,
        previous: null,
        next: nextUrl,
        limit: params.limit,
        partial: page.next !== null,
      },
      sort: params.sort
        ? {
            name: params.sort.field,
            order: params.sort.order,
            reverse: withParam(url, base, "order", params.sort.order === "asc" ? "desc" : "asc"),
          }
        : null,
      filters: Object.fromEntries(
        Object.entries(def.fields)
          .filter(([, f]) => f.filter)
          .map(([name]) => {
            const applied = params.filters.filter((f) => f.field === name);
            return [
              name,
              applied.length
                ? applied.map((f) => ({ modifier: f.modifier, value: f.values.join(",") }))
                : null,
            ];
          }),
      ),
    };
  }
}

/**
 * The environments whose rows of `type` a user may list: those where their role may read that part
 * of the environment (all of them for most types; registration tokens, environment keys and the
 * audit log only where the role reads them).
 */
function readableProjects(p: Principal, type: string): string[] {
  const area = areaOfType(type);
  const ids = Object.keys(p.roles ?? {});
  return area ? ids.filter((id) => mayDo(p, id, area, "read")) : ids;
}

/** The request URL with one query parameter set, for pagination and sort links. */
export function withParam(url: URL, base: string, key: string, value: string): string {
  const next = new URL(url.toString());
  next.searchParams.set(key, value);
  return `${base}${next.pathname}${next.search}`;
}

/**
 * A collection answered whole from a fixed or computed list (settings, templates, consume maps):
 * Rancher's collection shape with one page and no sort links.
 */
export function fixedCollection(
  resourceType: string,
  self: string,
  data: unknown[],
  filters: Record<string, null> = {},
): Record<string, unknown> {
  return {
    type: "collection",
    resourceType,
    links: { self },
    createTypes: {},
    actions: {},
    data,
    pagination: {
      first: null,
      previous: null,
      next: null,
      limit: Math.max(data.length, 1000),
      partial: false,
    },
    sortLinks: {},
    filters,
  };
}
