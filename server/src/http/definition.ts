import type { VerbContext } from "../services/context.ts";
import type { ResourceType, Row } from "../store/rows.ts";

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
  /** True when rows live inside a project (`/v2-beta/projects/<id>/<collection>`). */
  scoped: boolean;
  fields: Record<string, FieldDef>;
  create?(
    ctx: VerbContext,
    projectId: string | null,
    body: unknown,
  ): { row: Row; extra?: Record<string, unknown> };
  update?(ctx: VerbContext, id: string, body: unknown): Row;
  remove?(ctx: VerbContext, id: string): Row;
  actions: Record<string, ActionDef>;
  /** Type-specific fields of the answer; the common ones are added by the presenter. */
  present(row: Row, base: string): Record<string, unknown>;
  /** Extra links besides `self`. */
  links?(row: Row, self: string): Record<string, string>;
  /** Sub-resources readable under a row: `GET .../<id>/<name>`. */
  subresources?: Record<string, (ctx: VerbContext, id: string) => Promise<unknown>>;
}
