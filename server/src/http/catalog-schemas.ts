import { AppError } from "@corral/lib";
import { Hono } from "hono";
import type { ApiEnv } from "./env.ts";

/** The catalog types Rancher's clients look up, with the filters they send. */
const catalogTypes = [
  {
    id: "catalog",
    pluralName: "catalogs",
    filters: ["id", "name", "url", "branch", "kind", "environmentId", "state"],
    methods: ["GET", "POST"],
    resourceMethods: ["GET", "PUT", "DELETE"],
    actions: { refresh: { input: null, output: "catalog" } },
  },
  {
    id: "template",
    pluralName: "templates",
    filters: [
      "id",
      "catalogId",
      "name",
      "category",
      "templateBase",
      "folderName",
      "isSystem",
      "minimumRancherVersion",
      "maximumRancherVersion",
      "state",
    ],
    methods: ["GET"],
    resourceMethods: ["GET"],
    actions: {},
  },
  {
    id: "templateVersion",
    pluralName: "templateversions",
    filters: ["id", "templateId", "catalogId", "version", "revision", "compatible"],
    methods: ["GET"],
    resourceMethods: ["GET"],
    actions: {},
  },
] as const;

/** `/v1-catalog`, its schemas and one schema by id. */
export function catalogSchemas(): Hono<ApiEnv> {
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
    collectionMethods: t.methods,
    resourceMethods: t.resourceMethods,
    resourceFields: {},
    resourceActions: t.actions,
    collectionActions: t.id === "template" ? { refresh: { input: null, output: null } } : {},
    collectionFilters: Object.fromEntries(
      t.filters.map((f) => [f, { modifiers: ["eq", "ne", "lt", "lte", "gt", "gte", "prefix", "like"] }]),
    ),
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
  return app;
}
