import type { VerbContext } from "../services/context.ts";
import type { Filter, ResourceType, Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/** How a field appears in `/v2-beta/schemas`; filterable fields also accept filter modifiers. */
export interface FieldDef {
  type: string;
  create?: boolean;
  update?: boolean;
  required?: boolean;
  nullable?: boolean;
  options?: readonly string[];
  filter?: boolean;
  description?: string;
  /** The value a create without this field gets (shown in the schema, as Rancher's were). */
  default?: unknown;
}

/** What an action does and when it is offered. */
export interface ActionDef {
  /** True when the action may run on this row now (listed in the row's `actions`). */
  available(row: Row): boolean;
  /** Runs the action; returns the row (or another body) to answer with. */
  run(ctx: VerbContext, id: string, body: unknown, base: string): Promise<unknown> | unknown;
  /** Answer 202 (started, completes later) instead of 200. */
  accepted?: boolean;
}

/**
 * One resource type of the API: how it is addressed, described, created, edited, removed, acted on
 * and shown. The generic router in `router.ts` turns these into Rancher-style endpoints; the verbs
 * themselves live in `services/` and never see the HTTP layer.
 */
export interface ResourceDef {
  type: ResourceType;
  /** The collection name in URLs, e.g. `containers`. */
  collection: string;
  /** The schema id, when it is not the stored type (`instance` shows container rows). */
  schemaId?: string;
  /**
   * A typed view of another definition's rows (Rancher's `instance`, `loadBalancerService`, ...):
   * its collection lists only the rows `matches` accepts, found with `filters`.
   */
  view?: { filters: Filter[]; matches(row: Row): boolean };
  /** The schema's parent type in Rancher (`instance` for containers, `service` for its kinds). */
  parent?: string;
  /** True when rows live inside a project (`/v2-beta/projects/<id>/<collection>`). */
  scoped: boolean;
  fields: Record<string, FieldDef>;
  /**
   * The request body as its audit row keeps it, when more than the audit's own redaction of
   * secret-looking field names is needed (a stack's password answers under any variable name).
   */
  auditBody?(ctx: VerbContext, body: unknown, targetId?: string): unknown;
  create?(
    ctx: VerbContext,
    projectId: string | null,
    body: unknown,
  ): { row: Row; extra?: Record<string, unknown> | ((base: string) => Record<string, unknown>) };
  update?(ctx: VerbContext, id: string, body: unknown): Row;
  remove?(ctx: VerbContext, id: string): Row;
  actions: Record<string, ActionDef>;
  /** Type-specific fields of the answer; the common ones are added by the presenter. */
  present(row: Row, base: string): Record<string, unknown>;
  /**
   * Fields read from other rows (a stack's `serviceIds`, a service's `instanceIds`), as Rancher's
   * clients expect them. The response cache drops a row's answer when such related rows change.
   */
  related?(store: Store, row: Row): Record<string, unknown>;
  /** Extra links besides `self`. */
  links?(row: Row, self: string): Record<string, string>;
  /** Sub-resources readable under a row: `GET .../<id>/<name>`, with the request's query parameters. */
  subresources?: Record<string, (ctx: VerbContext, id: string, query: URLSearchParams) => Promise<unknown>>;
}

/** What a schema shows of a type: resource definitions, and the types served by routes of their own. */
export type SchemaDef = Pick<
  ResourceDef,
  "collection" | "scoped" | "fields" | "actions" | "parent" | "schemaId"
> &
  Partial<Pick<ResourceDef, "create" | "update" | "remove">> & { type: string };
