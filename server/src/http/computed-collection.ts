import { AppError } from "@corral/lib";
import { type Context, Hono } from "hono";
import { isVisible } from "../services/context.ts";
import type { Store } from "../store/store.ts";
import type { ApiEnv } from "./env.ts";
import { fixedCollection } from "./list.ts";

/** A read-only collection drawn from other rows of a project (no rows of its own). */
export interface ComputedCollection {
  /** The type its items carry, e.g. `serviceConsumeMap`. */
  type: string;
  /** The path segment, e.g. `serviceconsumemaps`. */
  collection: string;
  /** Fields a list may be filtered on, by exact value. */
  filterable: readonly string[];
  /** Every item of one project. */
  rows(store: Store, projectId: string): Record<string, unknown>[];
}

/**
 * Routes for a computed collection: `/<collection>` for an environment key's own project and
 * `/projects/<id>/<collection>`, filtered by exact values of its filterable fields.
 */
export function computedCollectionRoutes(
  store: Store,
  version: string,
  def: ComputedCollection,
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const list = (c: Context<ApiEnv>, pid?: string) => {
    const principal = c.get("principal");
    const projectId = pid ?? (principal.kind === "project" ? principal.projectId : undefined);
    if (!projectId) throw new AppError("NotFound", `${def.collection} live inside a project`);
    const project = store.getByPublicId("project", projectId);
    if (!project || !isVisible(principal, project) || project.state === "removed")
      throw new AppError("NotFound", `project ${projectId.slice(0, 64)} not found`);
    const url = new URL(c.req.url);
    const rows = def.rows(store, projectId).filter((row) =>
      def.filterable.every((f) => {
        const wanted = url.searchParams.getAll(f);
        return wanted.length === 0 || wanted.includes(String(row[f]));
      }),
    );
    const self = `${c.get("base")}/${version}/projects/${projectId}/${def.collection}`;
    return c.json(
      fixedCollection(
        def.type,
        `${self}${url.search}`,
        rows.map((r) => ({ ...r, links: { self: `${self}/${r.id}` }, actions: {} })),
        Object.fromEntries(def.filterable.map((f) => [f, null])),
      ),
    );
  };
  app.get(`/${def.collection}`, (c) => list(c));
  app.get(`/projects/:pid/${def.collection}`, (c) => list(c, c.req.param("pid")));
  return app;
}
