import { formatId, type IdType } from "@corral/api";
import { AppError } from "@corral/lib";
import { type Context, Hono } from "hono";
import { operationOfAction } from "../auth/role-matrix.ts";
import { writeAudit } from "../services/audit.ts";
import { actionsFilter, requireAllowed, requireAllowedOn } from "../services/authorize.ts";
import { isVisible, type VerbContext } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import { readJson } from "./body.ts";
import type { ResourceDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";
import { listCollection } from "./list.ts";
import { present, selfUrl } from "./present.ts";
import { createArea, guardWrite, listArea } from "./route-guard.ts";

/**
 * Turns resource definitions into Rancher-style endpoints, globally (`/v2-beta/<collection>`) and
 * inside a project (`/v2-beta/projects/<id>/<collection>`): list with filters, create, read, edit,
 * remove, actions and sub-resources. Every mutating request leaves an audit row.
 */
export function resourceRouter(defs: ResourceDef[]): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const byCollection = new Map(defs.map((d) => [d.collection, d]));
  const byType = new Map(defs.filter((d) => !d.view).map((d) => [d.type as string, d]));

  const defOf = (collection: string): ResourceDef => {
    const def = byCollection.get(collection.toLowerCase());
    if (!def) throw new AppError("NotFound", `no collection named ${collection}`);
    return def;
  };

  /** The project a request is scoped to: the path's, or an environment key's own. */
  const scopeOf = (c: Context<ApiEnv>, pid: string | undefined, def: ResourceDef): string | null => {
    const principal = c.get("principal");
    if (pid !== undefined) {
      const project = c.get("verbs")(c).store.getByPublicId("project", pid);
      const ownProject = principal.kind === "agent" && principal.projectId === pid;
      if (!project || !(ownProject || isVisible(principal, project)) || project.state === "removed")
        throw new AppError("NotFound", `project ${pid} not found`);
      if (!def.scoped) throw new AppError("NotFound", `${def.collection} do not live inside a project`);
      return pid;
    }
    return principal.kind === "project" && def.scoped ? principal.projectId! : null;
  };

  const list = (c: Context<ApiEnv>, collection: string, pid?: string) => {
    const def = defOf(collection);
    const projectId = scopeOf(c, pid, def);
    // Inside one environment, a role that may not read this part of it is refused outright.
    const area = listArea(def);
    if (projectId && area) requireAllowed(c.get("verbs")(c), projectId, area, "read");
    return listCollection(c, def, projectId);
  };

  const loadRow = (
    c: Context<ApiEnv>,
    collection: string,
    id: string,
    pid?: string,
  ): { def: ResourceDef; row: Row } => {
    const def = defOf(collection);
    const ctx = c.get("verbs")(c);
    const projectId = scopeOf(c, pid, def);
    const row = ctx.store.getByPublicId(def.type, id);
    if (
      !row ||
      !isVisible(ctx.principal, row) ||
      (projectId && row.projectId !== projectId) ||
      (def.view && !def.view.matches(row))
    ) {
      throw new AppError("NotFound", `${def.type} ${id} not found`);
    }
    return { def, row };
  };

  /** Runs a mutating verb and writes its audit row in the same transaction (or a failure row after). */
  const mutate = async (
    c: Context<ApiEnv>,
    def: ResourceDef,
    verb: string,
    fn: (ctx: VerbContext) => unknown,
    body: unknown,
    targetId?: string,
  ) => {
    const ctx = c.get("verbs")(c);
    const audit = (code: number, result: unknown) => ({
      principal: ctx.principal,
      clientIp: c.get("clientIp")(),
      eventType: `api.${def.type}.${verb}`,
      resourceType: def.type,
      resourceId: resultId(result) ?? targetId ?? null,
      projectId: resultProject(result) ?? ctx.principal.projectId ?? null,
      requestObject: def.auditBody ? def.auditBody(ctx, body, targetId) : body,
      responseCode: code,
    });
    try {
      return await ctx.store.transaction(() => {
        const result = fn(ctx);
        writeAudit(ctx.store, audit(verb === "create" ? 201 : 200, result));
        return result;
      });
    } catch (e) {
      const status = e instanceof AppError ? e.status : 500;
      try {
        writeAudit(ctx.store, audit(status, null));
      } catch {
        // The audit of a failure must not hide the failure itself.
      }
      throw e;
    }
  };

  const answer = (c: Context<ApiEnv>, def: ResourceDef, result: unknown, status: 200 | 201 | 202) => {
    const base = c.get("base");
    const { store, principal } = c.get("verbs")(c);
    const may = (row: Row) => actionsFilter(store, principal, row);
    if (isRow(result))
      return c.json(present(byType.get(result.type) ?? def, result, base, store, may(result)), status);
    if (result && typeof result === "object" && "row" in result && isRow((result as { row: unknown }).row)) {
      const { row, extra } = result as {
        row: Row;
        extra?: Record<string, unknown> | ((base: string) => Record<string, unknown>);
      };
      // Shown once (a secret, a webhook URL): some need the origin the client used.
      const more = typeof extra === "function" ? extra(base) : extra;
      return c.json({ ...present(def, row, base, store, may(row)), ...(more ?? {}) }, status);
    }
    return c.json(result as object, status);
  };

  const create = async (c: Context<ApiEnv>, collection: string, pid?: string) => {
    const def = defOf(collection);
    if (!def.create)
      throw new AppError("MethodNotAllowed", `${def.collection} cannot be created through the API`);
    const projectId = scopeOf(c, pid, def);
    const body = withoutReadOnly(def, await readJson(c.req.raw, false), "create");
    const ctx = c.get("verbs")(c);
    const scope = def.scoped && def.type !== "apiKey" ? (projectId ?? defaultProject(ctx)) : projectId;
    const area = scope ? createArea(ctx, def, body) : null;
    if (scope && area) guardWrite(c, def, "create", (vc) => requireAllowed(vc, scope, area, "create"));
    const result = await mutate(c, def, "create", (vc) => def.create!(vc, scope, body), body);
    return answer(c, def, result, 201);
  };

  const getOne = (c: Context<ApiEnv>, collection: string, id: string, pid?: string) => {
    const { def, row } = loadRow(c, collection, id, pid);
    const ctx = c.get("verbs")(c);
    requireAllowedOn(ctx, row, "read");
    // A person's answer lists the actions their role allows, so it is not the shared cached one.
    const may = actionsFilter(ctx.store, ctx.principal, row);
    if (may) return c.json(present(def, row, c.get("base"), ctx.store, may), 200);
    return c.body(c.get("cache").resource(def, row, c.get("base")), 200, {
      "Content-Type": "application/json",
    });
  };

  const update = async (c: Context<ApiEnv>, collection: string, id: string, pid?: string) => {
    const { def, row } = loadRow(c, collection, id, pid);
    if (!def.update) throw new AppError("MethodNotAllowed", `${def.type} cannot be edited`);
    guardWrite(c, def, "update", (vc) => requireAllowedOn(vc, row, "update"), row);
    const body = withoutReadOnly(def, await readJson(c.req.raw, false), "update");
    const result = await mutate(c, def, "update", (ctx) => def.update!(ctx, id, body), body, id);
    return answer(c, def, result, 200);
  };

  const remove = async (c: Context<ApiEnv>, collection: string, id: string, pid?: string) => {
    const { def, row } = loadRow(c, collection, id, pid);
    if (!def.remove) throw new AppError("MethodNotAllowed", `${def.type} cannot be removed`);
    guardWrite(c, def, "remove", (vc) => requireAllowedOn(vc, row, "remove"), row);
    const result = await mutate(c, def, "remove", (ctx) => def.remove!(ctx, id), null, id);
    return answer(c, def, result, 200);
  };

  const action = async (c: Context<ApiEnv>, collection: string, id: string, pid?: string) => {
    const name = c.req.query("action");
    const { def, row } = loadRow(c, collection, id, pid);
    if (!name) throw new AppError("MethodNotAllowed", `POST to a ${def.type} needs ?action=<name>`);
    const act = Object.hasOwn(def.actions, name) ? def.actions[name] : undefined;
    if (!act) throw new AppError("InvalidAction", `${def.type} has no action ${name.slice(0, 64)}`);
    guardWrite(
      c,
      def,
      name,
      (vc) =>
        def.type === "project" && name === "setmembers"
          ? requireAllowed(vc, formatId("project", row.id), "membership", "update")
          : requireAllowedOn(vc, row, operationOfAction(name)),
      row,
    );
    if (!act.available(row))
      throw new AppError(
        "ActionNotAvailable",
        `${name} is not available while ${def.type} ${id} is ${row.state}`,
      );
    // gdapi clients send `null` for an action without input.
    const raw = await readJson(c.req.raw, true);
    const body = withoutNestedReadOnly(raw === null ? {} : raw, true);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new AppError("InvalidBodyContent", "an action's body must be a JSON object (or empty)");
    }
    const base = c.get("base");
    const result = await mutate(c, def, name, (ctx) => act.run(ctx, id, body, base), body, id);
    return answer(c, def, result, act.accepted ? 202 : 200);
  };

  const sub = async (c: Context<ApiEnv>, collection: string, id: string, name: string, pid?: string) => {
    const { def, row } = loadRow(c, collection, id, pid);
    requireAllowedOn(c.get("verbs")(c), row, "read");
    const read =
      def.subresources && Object.hasOwn(def.subresources, name) ? def.subresources[name] : undefined;
    if (!read) throw new AppError("NotFound", `${def.type} has no ${name}`);
    return c.json((await read(c.get("verbs")(c), id, new URL(c.req.url).searchParams)) as object);
  };

  app.get("/projects/:pid/:collection", (c) => list(c, c.req.param("collection"), c.req.param("pid")));
  app.post("/projects/:pid/:collection", (c) => create(c, c.req.param("collection"), c.req.param("pid")));
  app.get("/projects/:pid/:collection/:id", (c) =>
    getOne(c, c.req.param("collection"), c.req.param("id"), c.req.param("pid")),
  );
  app.put("/projects/:pid/:collection/:id", (c) =>
    update(c, c.req.param("collection"), c.req.param("id"), c.req.param("pid")),
  );
  app.delete("/projects/:pid/:collection/:id", (c) =>
    remove(c, c.req.param("collection"), c.req.param("id"), c.req.param("pid")),
  );
  app.post("/projects/:pid/:collection/:id", (c) =>
    action(c, c.req.param("collection"), c.req.param("id"), c.req.param("pid")),
  );
  app.get("/projects/:pid/:collection/:id/:sub", (c) =>
    sub(c, c.req.param("collection"), c.req.param("id"), c.req.param("sub"), c.req.param("pid")),
  );
  app.get("/:collection", (c) => list(c, c.req.param("collection")));
  app.post("/:collection", (c) => create(c, c.req.param("collection")));
  app.get("/:collection/:id", (c) => getOne(c, c.req.param("collection"), c.req.param("id")));
  app.put("/:collection/:id", (c) => update(c, c.req.param("collection"), c.req.param("id")));
  app.delete("/:collection/:id", (c) => remove(c, c.req.param("collection"), c.req.param("id")));
  app.post("/:collection/:id", (c) => action(c, c.req.param("collection"), c.req.param("id")));
  app.get("/:collection/:id/:sub", (c) =>
    sub(c, c.req.param("collection"), c.req.param("id"), c.req.param("sub")),
  );
  return app;
}

/** Sets an own property, even one named `__proto__` (plain assignment would set the prototype). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What every resource shows and no client may set: gdapi clients send them back as they read them. */
const presentedOnly = new Set([
  "id",
  "type",
  "baseType",
  "links",
  "actions",
  "state",
  "transitioning",
  "transitioningMessage",
  "transitioningProgress",
  "created",
  "createdTS",
  "removed",
  "removeTime",
  "uuid",
  "accountId",
]);

/**
 * The body without the read-only fields a Rancher client sends back (`{"links":null,"actions":null,
 * "id":"",...}` from gdapi structs): Rancher ignored them on create and update. A field the type
 * takes as input (a service's `links` list) is kept when it holds a value; a field the schema does
 * not know at all is left for the verb to refuse.
 */
export function withoutReadOnly(def: ResourceDef, body: unknown, verb: "create" | "update"): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const field = Object.hasOwn(def.fields, key) ? def.fields[key] : undefined;
    const writable = field && (verb === "create" ? field.create : field.update);
    if (writable && !(key === "links" && (value === null || !Array.isArray(value)))) {
      put(out, key, value);
      continue;
    }
    // A type's own read-only field is dropped only when empty: a value there (a chosen secret, a
    // host id for placement) is a mistake the verb refuses, not noise.
    if (presentedOnly.has(key) || (field && !writable && (value === null || value === ""))) continue;
    put(out, key, value);
  }
  return withoutNestedReadOnly(out);
}

/** `{driver: "", config: {}}`: Rancher's way of saying "the engine's default log driver". */
function isDefaultLog(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== "object" || Array.isArray(v)) return false;
  const { driver, config, ...rest } = v as Record<string, unknown>;
  const emptyConfig =
    config === undefined ||
    config === null ||
    (typeof config === "object" && Object.keys(config).length === 0);
  return (
    (driver === "" || driver === undefined || driver === null) &&
    emptyConfig &&
    Object.keys(rest).length === 0
  );
}

/**
 * Launch configs inside a body (`launchConfig`, `secondaryLaunchConfigs`, also under an upgrade's
 * `inServiceStrategy`) and `serviceLinks` items without the resource fields gdapi clients add to
 * them (`type`, `links`, ...); with `topLevel` (action inputs), the body's own as well.
 */
export function withoutNestedReadOnly<T>(body: T, topLevel = false): T {
  // Free-form maps keep every key: an environment variable may well be called `type`.
  const maps = new Set(["labels", "environment", "metadata", "config", "driverOpts", "sysctls", "tmpfs"]);
  const clean = (lc: unknown, depth = 0): unknown => {
    if (lc === null || typeof lc !== "object" || Array.isArray(lc) || depth > 4) return lc;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(lc)) {
      if (presentedOnly.has(k)) continue;
      put(out, k, maps.has(k) ? v : clean(v, depth + 1));
    }
    if (depth === 0 && isDefaultLog(out.logConfig)) delete out.logConfig;
    return out;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 3 || v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (topLevel && depth === 0 && presentedOnly.has(k)) continue;
      // Nested gdapi structs (an upgrade's `inServiceStrategy`) carry `links: null`, `actions: null`.
      if (depth > 0 && presentedOnly.has(k) && (x === null || k === "type")) continue;
      if (maps.has(k)) {
        put(out, k, x);
        continue;
      }
      if (k === "launchConfig") put(out, k, clean(x));
      else if ((k === "secondaryLaunchConfigs" || k === "serviceLinks") && Array.isArray(x))
        put(
          out,
          k,
          x.map((item) => clean(item)),
        );
      else put(out, k, walk(x, depth + 1));
    }
    return out;
  };
  return walk(body, 0) as T;
}

function isRow(v: unknown): v is Row {
  return Boolean(
    v &&
      typeof v === "object" &&
      "type" in v &&
      "data" in v &&
      "id" in v &&
      typeof (v as Row).id === "number",
  );
}

function resultRow(result: unknown): Row | null {
  if (isRow(result)) return result;
  if (result && typeof result === "object" && "row" in result && isRow((result as { row: unknown }).row))
    return (result as { row: Row }).row;
  return null;
}

function resultId(result: unknown): string | null {
  const row = resultRow(result);
  return row ? formatId(row.type as IdType, row.id) : null;
}

function resultProject(result: unknown): string | null {
  const row = resultRow(result);
  if (!row) return null;
  return row.type === "project" ? formatId("project", row.id) : row.projectId;
}

function defaultProject(ctx: VerbContext): string {
  const id = ctx.store.getSetting("defaultProjectId");
  if (!id)
    throw new AppError("MissingRequired", "name a project: POST to /v2-beta/projects/<id>/<collection>");
  return id;
}

/** The URL of a row, for links in events. */
export { selfUrl };
