import { AppError } from "@corral/lib";
import { Hono } from "hono";
import { defaultSessionTtlMs } from "../auth/sessions.ts";
import { catalogUrlSetting, catalogUrlValue, putCatalogUrl } from "../catalog/catalog-setting.ts";
import type { CatalogService } from "../catalog/catalogs.ts";
import { compatibilityVersion } from "../catalog/versions.ts";
import type { ServerSettings } from "../services/context.ts";
import { isVisible } from "../services/context.ts";
import { defaultMaxServiceScale, maxScaleSetting } from "../services/scale-limit.ts";
import { readJson } from "./body.ts";
import type { FieldDef, SchemaDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";
import { fixedCollection } from "./list.ts";
import { commonFields } from "./resources/common.ts";

/**
 * The Rancher API level this server answers as. Rancher's clients read `rancher.server.version` to
 * pick catalog templates (`minimum_rancher_version`/`maximum_rancher_version`); Corral speaks the
 * API of Rancher's last 1.6 release, so templates written for 1.6 are offered.
 */
export const rancherApiLevel = compatibilityVersion;

/** The `setting` schema: name, value and the active value; only `catalog.url` may be set (PUT). */
export const settingSchema: SchemaDef = {
  type: "setting",
  collection: "settings",
  scoped: false,
  // Settings are a fixed list, filtered by name only: advertising the common date and state
  // filters would promise filters the list does not apply.
  fields: {
    id: { type: "string", filter: true },
    name: { type: "string", filter: true },
    value: { type: "string", nullable: true, update: true },
    activeValue: { type: "string", nullable: true },
    inDb: { type: "boolean" },
    source: { type: "string", nullable: true },
  },
  actions: {},
  // Offers PUT in the schema, for catalog.url; settingRoutes serves it and refuses it for the others.
  update: () => {
    throw new AppError("MethodNotAllowed", "settings are set through /settings/<name>");
  },
};

/**
 * One setting: its value and where it comes from (`Env`: set at start; `Code`: default; `Database`:
 * kept in the store, as `catalog.url` is, in the catalogs themselves).
 */
interface SettingValue {
  value: string;
  source: "Env" | "Code" | "Database";
}

/** The settings users and clients query, by name. */
function settingValues(
  base: string,
  settings: ServerSettings,
  catalogs: CatalogService | undefined,
): Record<string, SettingValue> {
  const code = (value: string): SettingValue => ({ value, source: "Code" });
  const max = settings.maxServiceScale;
  return {
    "rancher.server.version": code(rancherApiLevel),
    "corral.server.version": code("0.1.0"),
    "api.host": settings.publicUrl ? { value: settings.publicUrl, source: "Env" } : code(base),
    "api.auth.provider.configured": code("none"),
    // Rancher's name; here it is how long a login session lasts (CORRAL_SESSION_TTL_HOURS).
    "api.auth.jwt.token.expiry":
      settings.sessionTtlMs && settings.sessionTtlMs !== defaultSessionTtlMs
        ? { value: String(settings.sessionTtlMs), source: "Env" }
        : code(String(defaultSessionTtlMs)),
    // The global catalogs, whichever way they were added (CORRAL_CATALOG_URL, a PUT of this setting,
    // /v1-catalog): what a client reading the setting expects to find in the catalog.
    [catalogUrlSetting]: catalogs
      ? { value: catalogUrlValue(catalogs), source: "Database" }
      : code('{"catalogs":{}}'),
    // The most units one service may have (a larger scale is refused with 422), set with
    // CORRAL_MAX_SERVICE_SCALE at start.
    [maxScaleSetting]: {
      value: String(max ?? defaultMaxServiceScale),
      source: max !== undefined && max !== defaultMaxServiceScale ? "Env" : "Code",
    },
  };
}

/** `/settings` and `/settings/<name>`: what Rancher 1.6 clients look up before other calls. */
export function settingRoutes(version: string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const present = (base: string, name: string, { value, source }: SettingValue) => ({
    id: name,
    type: "setting",
    baseType: "setting",
    name,
    value,
    activeValue: value,
    inDb: source === "Database",
    source,
    links: { self: `${base}/${version}/settings/${name}` },
    actions: {},
  });
  app.get("/settings", (c) => {
    const base = c.get("base");
    const ctx = c.get("verbs")(c);
    const values = settingValues(base, ctx.settings, ctx.catalogs);
    const wanted = c.req.query("name");
    const byId = c.req.query("id");
    const data = Object.entries(values)
      .filter(([name]) => (wanted === undefined || name === wanted) && (byId === undefined || name === byId))
      .map(([name, value]) => present(base, name, value));
    return c.json(fixedCollection("setting", `${base}/${version}/settings`, data));
  });
  app.get("/settings/:name", (c) => {
    const base = c.get("base");
    const name = c.req.param("name");
    const ctx = c.get("verbs")(c);
    const values = settingValues(base, ctx.settings, ctx.catalogs);
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) throw new AppError("NotFound", `setting ${name.slice(0, 64)} not found`);
    return c.json(present(base, name, value));
  });
  // Rancher's clients PUT the whole setting back; only its `value` is read.
  app.put(`/settings/${catalogUrlSetting}`, async (c) => {
    const ctx = c.get("verbs")(c);
    if (!ctx.catalogs) throw new AppError("MethodNotAllowed", "this server has no catalogs");
    const body = await readJson(c.req.raw, false);
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new AppError("InvalidBodyContent", "the body must be a JSON object");
    const ip = (c.get("clientIp") as (() => string) | undefined)?.() ?? "";
    const catalogs = ctx.catalogs;
    const { fetch } = putCatalogUrl(ctx, catalogs, (body as { value?: unknown }).value, ip);
    // New and changed catalogs are fetched after the answer, as a POST to /v1-catalog does.
    for (const name of fetch) void catalogs.refresh(name).catch(() => {});
    return c.json(
      present(c.get("base"), catalogUrlSetting, { value: catalogUrlValue(catalogs), source: "Database" }),
    );
  });
  const readOnly = () => {
    throw new AppError(
      "MethodNotAllowed",
      `settings other than ${catalogUrlSetting} are read-only here; set them with the server's options`,
    );
  };
  app.on(["POST", "PUT", "DELETE"], ["/settings", "/settings/:name"], readOnly);
  return app;
}

/**
 * The common fields with only the id and name filters: the fixed and empty lists below apply no other, so
 * their schemas must not promise one.
 */
const fixedListFields: Record<string, FieldDef> = {
  ...Object.fromEntries(Object.entries(commonFields).map(([k, { filter: _unused, ...f }]) => [k, f])),
  id: { type: "string", filter: true },
  name: { type: "string", nullable: true, filter: true },
};

/** A type Rancher's CLI looks names up in that this server has no rows of. */
function emptyType(type: string, collection: string, scoped: boolean): SchemaDef {
  return {
    type,
    collection,
    scoped,
    fields: {
      ...fixedListFields,
      ...(scoped ? { accountId: { type: "reference[project]", filter: true } } : {}),
    },
    actions: {},
  };
}

/**
 * Types Rancher 1.6's CLI looks every name up in (`inspect`, `rm`, `wait`) and fails on when their
 * schema is missing, though this server keeps no such rows: secrets (not supported yet), docker
 * machines and environment templates. Their collections are empty and nothing can be created.
 */
export const emptySchemas: SchemaDef[] = [emptyType("machine", "machines", true)];

/** The one environment template: Cattle orchestration, what every environment here runs. */
export const projectTemplateSchema: SchemaDef = {
  ...emptyType("projectTemplate", "projecttemplates", false),
  fields: {
    ...fixedListFields,
    description: { type: "string", nullable: true },
    isPublic: { type: "boolean" },
    stacks: { type: "array[catalogTemplate]" },
  },
};

/** Rancher's environment templates, of which `rancher env create` looks up `Cattle` by name. */
export function projectTemplateRoutes(version: string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const cattle = (base: string) => ({
    id: "1pt1",
    type: "projectTemplate",
    baseType: "projectTemplate",
    name: "Cattle",
    state: "active",
    transitioning: "no",
    transitioningMessage: null,
    description: "Cattle orchestration: stacks, services and containers on the environment's hosts",
    isPublic: true,
    stacks: [],
    created: null,
    removed: null,
    links: { self: `${base}/${version}/projecttemplates/1pt1` },
    actions: {},
  });
  app.get("/projecttemplates", (c) => {
    const url = new URL(c.req.url);
    const name = url.searchParams.get("name");
    const id = url.searchParams.get("id");
    const rows =
      (name === null || name === "Cattle") && (id === null || id === "1pt1") ? [cattle(c.get("base"))] : [];
    return c.json(
      fixedCollection("projectTemplate", `${c.get("base")}/${version}/projecttemplates${url.search}`, rows),
    );
  });
  app.get("/projecttemplates/:id", (c) => {
    const id = c.req.param("id");
    if (id !== "1pt1" && id !== "Cattle")
      throw new AppError("NotFound", `projectTemplate ${id.slice(0, 64)} not found`);
    return c.json(cattle(c.get("base")));
  });
  return app;
}

/** The empty collections of {@link emptySchemas}. */
export function emptyRoutes(version: string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  for (const schema of emptySchemas) {
    const list = (self: string) => fixedCollection(schema.type, self, []);
    const root = `/${schema.collection}`;
    app.get(root, (c) => c.json(list(`${c.get("base")}/${version}${root}`)));
    app.get(`/projects/:pid${root}`, (c) => {
      // Empty, but only inside an environment the caller sees: others are 404 as everywhere.
      const pid = c.req.param("pid");
      const project = c.get("verbs")(c).store.getByPublicId("project", pid);
      if (!project || project.state === "removed" || !isVisible(c.get("principal"), project))
        throw new AppError("NotFound", `project ${pid.slice(0, 64)} not found`);
      return c.json(list(`${c.get("base")}/${version}/projects/${pid}${root}`));
    });
    const none = () => {
      throw new AppError("MethodNotAllowed", `${schema.collection} are not supported`);
    };
    app.post(root, none);
    app.post(`/projects/:pid${root}`, none);
    const notFound = (id: string) => {
      throw new AppError("NotFound", `${schema.type} ${id.slice(0, 64)} not found`);
    };
    app.get(`${root}/:id`, (c) => notFound(c.req.param("id")));
    app.get(`/projects/:pid${root}/:id`, (c) => notFound(c.req.param("id")));
  }
  return app;
}

/**
 * The `subscribe` schema: the event stream. Rancher's clients (`rancher events`, `wait`, `up`) look
 * for it, need POST among its collection methods, and open a websocket on its collection link.
 */
export const subscribeSchema: SchemaDef = {
  type: "subscribe",
  collection: "subscribe",
  scoped: true,
  fields: { id: { type: "string", filter: true }, eventNames: { type: "array[string]", create: true } },
  actions: {},
  create: () => {
    throw new AppError("MethodNotAllowed", "subscribe with a websocket upgrade on this URL");
  },
};
