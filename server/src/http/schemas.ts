import { filterModifiers } from "../store/rows.ts";
import type { SchemaDef } from "./definition.ts";

/**
 * Where schemas are read: the API root (`<base>/v2-beta`) and, inside a project, the project's path.
 * Rancher served schemas at both; its clients build every URL from the `collection` links they find
 * there, so a project's schemas point at the project's collections.
 */
export interface SchemaScope {
  /** The API root, e.g. `http://h:8080/v2-beta`. */
  root: string;
  /** The project the schemas were read in, if any. */
  projectId?: string;
}

/** The URL of the schemas collection of a scope (what `X-API-Schemas` names). */
export function schemasUrl(scope: SchemaScope): string {
  return scope.projectId ? `${scope.root}/projects/${scope.projectId}/schemas` : `${scope.root}/schemas`;
}

/** One schema of `/v2-beta/schemas`: fields, methods, actions and filters of a resource type. */
export function schemaOf(def: SchemaDef, scope: SchemaScope): Record<string, unknown> {
  const resourceMethods = ["GET", ...(def.update ? ["PUT"] : []), ...(def.remove ? ["DELETE"] : [])];
  const id = def.schemaId ?? def.type;
  const collection =
    def.scoped && scope.projectId
      ? `${scope.root}/projects/${scope.projectId}/${def.collection}`
      : `${scope.root}/${def.collection}`;
  return {
    id,
    type: "schema",
    links: {
      self: `${schemasUrl(scope)}/${id.toLowerCase()}`,
      collection,
    },
    pluralName: def.collection,
    ...(def.parent ? { parent: def.parent } : {}),
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
          ...(f.default !== undefined ? { default: f.default } : {}),
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

/** The schema of schemas itself (`/schemas/schema`): gdapi clients read it first. */
export function schemaOfSchemas(scope: SchemaScope): Record<string, unknown> {
  return {
    id: "schema",
    type: "schema",
    links: { self: `${schemasUrl(scope)}/schema`, collection: schemasUrl(scope) },
    pluralName: "schemas",
    collectionMethods: ["GET"],
    resourceMethods: ["GET"],
    resourceFields: {
      pluralName: { type: "string" },
      resourceFields: { type: "map[json]" },
      resourceActions: { type: "map[json]" },
      collectionFilters: { type: "map[json]" },
    },
    resourceActions: {},
    collectionActions: {},
    collectionFilters: { id: { modifiers: filterModifiers } },
  };
}

/** The schema collection. */
export function schemaCollection(defs: SchemaDef[], scope: SchemaScope): Record<string, unknown> {
  return {
    type: "collection",
    resourceType: "schema",
    links: { self: schemasUrl(scope) },
    data: [schemaOfSchemas(scope), ...defs.map((d) => schemaOf(d, scope))],
  };
}

/** The schema named `id` (type or collection name, any case), or null. */
export function findSchema(
  defs: SchemaDef[],
  id: string,
  scope: SchemaScope,
): Record<string, unknown> | null {
  const wanted = id.toLowerCase();
  if (wanted === "schema" || wanted === "schemas") return schemaOfSchemas(scope);
  const def = defs.find((d) => (d.schemaId ?? d.type).toLowerCase() === wanted || d.collection === wanted);
  return def ? schemaOf(def, scope) : null;
}
