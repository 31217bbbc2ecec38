import { AppError } from "@corral/lib";
import { Hono } from "hono";
import type { ApiEnv } from "./env.ts";

/** The catalog types Rancher's clients look up, with the filters they send. */
const catalogTypes = [
  { id: "catalog", pluralName: "catalogs", filters: ["name", "url", "branch", "kind"] },
  { id: "template", pluralName: "templates", filters: ["catalogId", "templateBase", "category"] },
  { id: "templateVersion", pluralName: "templateversions", filters: [] },
] as const;

/**
 * `/v1-catalog` with no catalogs yet: the root, its schemas and empty collections. Rancher 1.6's CLI
 * reads this API before it lists stacks (for the upgrades of catalog stacks), so without it
 * `rancher stacks ls` fails; a stack from the catalog cannot exist until catalogs do.
 */
export function catalogRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const root = (base: string) => `${base}/v1-catalog`;
  const schemaOf = (base: string, t: (typeof catalogTypes)[number]) => ({
    id: t.id,
    type: "schema",
    links: {
      self: `${root(base)}/schemas/${t.id.toLowerCase()}`,
      collection: `${root(base)}/${t.pluralName}`,
    },
    pluralName: t.pluralName,
    collectionMethods: ["GET"],
    resourceMethods: ["GET"],
    resourceFields: {},
    resourceActions: {},
    collectionActions: t.id === "template" ? { refresh: { input: null, output: null } } : {},
    collectionFilters: Object.fromEntries(t.filters.map((f) => [f, { modifiers: ["eq", "ne"] }])),
  });
  app.get("/", (c) =>
    c.json({
      type: "apiVersion",
      id: "v1-catalog",
      links: {
        self: root(c.get("base")),
        schemas: `${root(c.get("base"))}/schemas`,
        ...Object.fromEntries(
          catalogTypes.map((t) => [t.pluralName, `${root(c.get("base"))}/${t.pluralName}`]),
        ),
      },
    }),
  );
  app.get("/schemas", (c) =>
    c.json({
      type: "collection",
      resourceType: "schema",
      links: { self: `${root(c.get("base"))}/schemas` },
      data: catalogTypes.map((t) => schemaOf(c.get("base"), t)),
    }),
  );
  app.get("/schemas/:id", (c) => {
    const id = c.req.param("id").toLowerCase();
    const t = catalogTypes.find((x) => x.id.toLowerCase() === id || x.pluralName === id);
    if (!t) throw new AppError("NotFound", `no schema ${id.slice(0, 64)}`);
    return c.json(schemaOf(c.get("base"), t));
  });
  for (const t of catalogTypes) {
    app.get(`/${t.pluralName}`, (c) =>
      c.json({
        type: "collection",
        resourceType: t.id,
        links: { self: `${root(c.get("base"))}/${t.pluralName}` },
        actions: t.id === "template" ? { refresh: `${root(c.get("base"))}/templates?action=refresh` } : {},
        data: [],
        pagination: { first: null, previous: null, next: null, limit: 1000, partial: false },
      }),
    );
    app.get(`/${t.pluralName}/:id`, (c) => {
      throw new AppError("NotFound", `${t.id} ${c.req.param("id").slice(0, 64)} not found: no catalogs yet`);
    });
  }
  return app;
}
