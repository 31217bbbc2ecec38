import { AppError } from "@corral/lib";
import { type Context, Hono } from "hono";
import { isVisible } from "../services/context.ts";
import type { Store } from "../store/store.ts";
import type { SchemaDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";
import { findSchema, type SchemaScope, schemaCollection } from "./schemas.ts";

/**
 * The schemas of one API version, at its root and inside every project the caller may see
 * (`/projects/<id>/schemas`, `/projects/<id>/schemas/<type>`), as Rancher served them.
 */
export function schemaRoutes(store: Store, defs: SchemaDef[], version: string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const scopeOf = (c: Context<ApiEnv>, pid?: string): SchemaScope => {
    const root = `${c.get("base")}/${version}`;
    if (pid === undefined) return { root };
    const principal = c.get("principal");
    const project = store.getByPublicId("project", pid);
    const own = principal.kind === "agent" && principal.projectId === pid;
    if (!project || !(own || isVisible(principal, project)) || project.state === "removed")
      throw new AppError("NotFound", `project ${pid.slice(0, 64)} not found`);
    return { root, projectId: pid };
  };
  const oneSchema = (c: Context<ApiEnv>, id: string, pid?: string) => {
    const schema = findSchema(defs, id, scopeOf(c, pid));
    if (!schema) throw new AppError("NotFound", `no schema ${id.slice(0, 64)}`);
    return c.json(schema);
  };
  app.get("/schemas", (c) => c.json(schemaCollection(defs, scopeOf(c))));
  app.get("/schemas/:id", (c) => oneSchema(c, c.req.param("id")));
  app.get("/projects/:pid/schemas", (c) => c.json(schemaCollection(defs, scopeOf(c, c.req.param("pid")))));
  app.get("/projects/:pid/schemas/:id", (c) => oneSchema(c, c.req.param("id"), c.req.param("pid")));
  return app;
}
