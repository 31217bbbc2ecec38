import { filterModifiers } from "../store/rows.ts";
import type { ResourceDef } from "./definition.ts";

/** One schema of `/v2-beta/schemas`: fields, methods, actions and filters of a resource type. */
export function schemaOf(def: ResourceDef, base: string): Record<string, unknown> {
  const resourceMethods = ["GET", ...(def.update ? ["PUT"] : []), ...(def.remove ? ["DELETE"] : [])];
  return {
    id: def.type,
    type: "schema",
    links: {
      self: `${base}/v2-beta/schemas/${def.type.toLowerCase()}`,
      collection: `${base}/v2-beta/${def.collection}`,
    },
    pluralName: def.collection,
    scope: def.scoped ? "project" : "global",
    collectionMethods: ["GET", ...(def.create ? ["POST"] : [])],
    resourceMethods,
    resourceFields: Object.fromEntries(
      Object.entries(def.fields).map(([name, f]) => [
        name,
        {
          type: f.type,
          create: f.create ?? false,
          update: f.update ?? false,
          required: f.required ?? false,
          nullable: f.nullable ?? false,
          ...(f.options ? { options: f.options } : {}),
          ...(f.description ? { description: f.description } : {}),
        },
      ]),
    ),
    resourceActions: Object.fromEntries(
      Object.keys(def.actions).map((name) => [name, { input: null, output: def.type }]),
    ),
    collectionActions: {},
    collectionFilters: Object.fromEntries(
      Object.entries(def.fields)
        .filter(([, f]) => f.filter)
        .map(([name]) => [name, { modifiers: filterModifiers }]),
    ),
  };
}

/** The schema collection. */
export function schemaCollection(defs: ResourceDef[], base: string): Record<string, unknown> {
  return {
    type: "collection",
    resourceType: "schema",
    links: { self: `${base}/v2-beta/schemas` },
    data: defs.map((d) => schemaOf(d, base)),
  };
}
