import { extname, join } from "node:path";
import { AppError } from "@corral/lib";
import { type Context, Hono } from "hono";
import type { Principal } from "../auth/principal.ts";
import type { CatalogFields, CatalogService } from "../catalog/catalogs.ts";
import {
  canReadCatalog,
  createCatalog,
  mayRefresh,
  removeCatalog,
  updateCatalog,
  visibleCatalog,
} from "../catalog/verbs.ts";
import { isCompatible } from "../catalog/versions.ts";
import type { Row } from "../store/rows.ts";
import { readJson } from "./body.ts";
import {
  applyFilters,
  presentCatalog,
  presentTemplate,
  presentVersion,
  templateId,
} from "./catalog-present.ts";
import { catalogSchemas } from "./catalog-schemas.ts";
import type { ApiEnv } from "./env.ts";

/** The caller (every `/v1-catalog` request is authenticated; null only in unit use). */
function principalOf(c: Context<ApiEnv>): Principal | null {
  return (c.get("principal") as Principal | undefined) ?? null;
}

function collection(self: string, type: string, data: unknown[], actions: Record<string, string> = {}) {
  return {
    type: "collection",
    resourceType: type,
    links: { self },
    actions,
    data,
    pagination: { first: null, previous: null, next: null, limit: 1000, partial: false },
  };
}

/** Splits `library:wordpress[:3]` into its parts; NotFound when it is not such an id. */
function parseTemplateRef(
  id: string,
  withRevision: boolean,
): { catalog: string; folder: string; revision: number } {
  const parts = id.split(":");
  const ok = withRevision ? parts.length === 3 && /^\d{1,9}$/.test(parts[2]!) : parts.length === 2;
  if (!ok || !parts[0] || !parts[1])
    throw new AppError(
      "NotFound",
      `no ${withRevision ? "template version" : "template"} ${id.slice(0, 128)}`,
    );
  return { catalog: parts[0], folder: parts[1], revision: Number(parts[2] ?? 0) };
}

/**
 * `/v1-catalog` as Rancher 1.6 served it: catalogs, templates and template versions. Every caller
 * reads the global catalogs and those of the environments they belong to; changes need an admin
 * (global) or an owner (environment).
 */
export function catalogRoutes(catalogs: CatalogService): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const root = (c: Context<ApiEnv>) => `${c.get("base")}/v1-catalog`;
  const readable = (c: Context<ApiEnv>): Row<CatalogFields>[] => {
    const p = principalOf(c);
    const scope = c.req.query("projectId");
    return catalogs
      .rows()
      .filter((r) => canReadCatalog(p, r) && (!scope || !r.projectId || r.projectId === scope));
  };
  const verbs = (c: Context<ApiEnv>) => {
    if (!principalOf(c)) throw new AppError("Unauthorized", "send an API key with HTTP Basic authentication");
    return c.get("verbs")(c);
  };
  const ip = (c: Context<ApiEnv>) => (c.get("clientIp") as (() => string) | undefined)?.() ?? "";
  const refreshed = async (c: Context<ApiEnv>, name: string) => {
    const row = visibleCatalog(principalOf(c), catalogs, name);
    mayRefresh(verbs(c), row);
    await catalogs.refresh(name);
    return c.json(presentCatalog(root(c), catalogs.row(name) as Row<CatalogFields>));
  };

  app.route("/", catalogSchemas());

  app.get("/catalogs", (c) => {
    const items = readable(c).map((r) => presentCatalog(root(c), r));
    const out = applyFilters(items, c.req.query(), [
      "id",
      "name",
      "url",
      "branch",
      "kind",
      "environmentId",
      "state",
    ]);
    if (typeof out === "string") throw new AppError("InvalidOption", out);
    return c.json(collection(`${root(c)}/catalogs`, "catalog", out));
  });
  app.get("/catalogs/:name", (c) =>
    c.json(
      presentCatalog(
        root(c),
        visibleCatalog(principalOf(c), catalogs, c.req.param("name")) as Row<CatalogFields>,
      ),
    ),
  );
  app.post("/catalogs", async (c) => {
    const ctx = verbs(c);
    const row = await createCatalog(ctx, catalogs, await readJson(c.req.raw, false), ip(c));
    // The first fetch runs after the answer: the catalog shows `refreshing`, then `active` or `error`.
    void catalogs.refresh(row.name!).catch(() => {});
    return c.json(presentCatalog(root(c), row as Row<CatalogFields>), 201);
  });
  app.post("/catalogs/:name", async (c) => {
    if (c.req.query("action") !== "refresh")
      throw new AppError("InvalidAction", "catalogs have one action: refresh");
    return refreshed(c, c.req.param("name"));
  });
  app.put("/catalogs/:name", async (c) => {
    const row = await updateCatalog(
      verbs(c),
      catalogs,
      c.req.param("name"),
      await readJson(c.req.raw, false),
      ip(c),
    );
    // Fetched again with what changed, after the answer (as a new catalog is).
    void catalogs.refreshChanged(row.name!).catch(() => {});
    return c.json(presentCatalog(root(c), row as Row<CatalogFields>));
  });
  app.delete("/catalogs/:name", (c) => {
    const row = removeCatalog(verbs(c), catalogs, c.req.param("name"), ip(c));
    return c.json(presentCatalog(root(c), row as Row<CatalogFields>));
  });

  app.get("/templates", (c) => {
    // `rancherVersion=v1.6.30` (Rancher's CLI): templates with a version that server may run.
    const { rancherVersion, ...query } = c.req.query();
    const items = readable(c).flatMap((r) =>
      (catalogs.index(r.name!)?.templates ?? [])
        .filter((t) => !rancherVersion || t.versions.some((v) => isCompatible(v, rancherVersion)))
        .map((t) => presentTemplate(root(c), r.name!, t)),
    );
    const out = applyFilters(items, query, [
      "id",
      "catalogId",
      "name",
      "category",
      "categories",
      "templateBase",
      "folderName",
      "isSystem",
      "minimumRancherVersion",
      "maximumRancherVersion",
      "state",
      "defaultVersion",
    ]);
    if (typeof out === "string") throw new AppError("InvalidOption", out);
    return c.json(
      collection(`${root(c)}/templates`, "template", out, { refresh: `${root(c)}/templates?action=refresh` }),
    );
  });
  app.post("/templates", async (c) => {
    if (c.req.query("action") !== "refresh")
      throw new AppError("MethodNotAllowed", "templates come from catalogs");
    const ctx = verbs(c);
    const names = readable(c).filter((r) => {
      try {
        mayRefresh(ctx, r);
        return true;
      } catch {
        return false;
      }
    });
    await Promise.all(names.map((r) => catalogs.refresh(r.name!)));
    return c.json(
      collection(
        `${root(c)}/catalogs`,
        "catalog",
        names.map((r) => presentCatalog(root(c), catalogs.row(r.name!)!)),
      ),
    );
  });
  const findTemplate = (c: Context<ApiEnv>, id: string) => {
    const ref = parseTemplateRef(id, false);
    visibleCatalog(principalOf(c), catalogs, ref.catalog);
    const t = catalogs.template(ref.catalog, ref.folder);
    if (!t) throw new AppError("NotFound", `template ${id.slice(0, 128)} not found`);
    return { ref, t };
  };
  app.get("/templates/:id", (c) => {
    // Rancher's CLI fetches a version at the template collection's URL: `templates/library:wp:3`.
    if (c.req.param("id").split(":").length === 3) {
      const { ref, t, v } = findVersion(c, c.req.param("id"));
      return c.json(presentVersion(root(c), ref.catalog, t, v));
    }
    const { ref, t } = findTemplate(c, c.req.param("id"));
    return c.json(presentTemplate(root(c), ref.catalog, t));
  });
  app.get("/templates/:id/icon", (c) => {
    const { ref, t } = findTemplate(c, c.req.param("id"));
    if (!t.icon) throw new AppError("NotFound", `template ${templateId(ref.catalog, t)} has no icon`);
    const base = t.base === "infra-templates" ? "infra-templates" : "templates";
    const types: Record<string, string> = {
      ".svg": "image/svg+xml",
      ".png": "image/png",
      ".jpg": "image/jpeg",
      ".jpeg": "image/jpeg",
      ".gif": "image/gif",
    };
    // An SVG from a catalog repository may carry script: it is served as a file to display, never run.
    return new Response(Bun.file(join(catalogs.dir, ref.catalog, base, t.folder, t.icon)), {
      headers: {
        "Content-Type": types[extname(t.icon).toLowerCase()] ?? "application/octet-stream",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      },
    });
  });

  const findVersion = (c: Context<ApiEnv>, id: string) => {
    const ref = parseTemplateRef(id, true);
    const { t } = findTemplate(c, `${ref.catalog}:${ref.folder}`);
    const v = t.versions.find((x) => x.revision === ref.revision);
    if (!v) throw new AppError("NotFound", `template version ${id.slice(0, 128)} not found`);
    return { ref, t, v };
  };
  app.get("/templateversions", (c) => {
    const items = readable(c).flatMap((r) =>
      (catalogs.index(r.name!)?.templates ?? []).flatMap((t) =>
        t.versions.map((v) => presentVersion(root(c), r.name!, t, v)),
      ),
    );
    const out = applyFilters(items, c.req.query(), [
      "id",
      "templateId",
      "catalogId",
      "version",
      "revision",
      "compatible",
    ]);
    if (typeof out === "string") throw new AppError("InvalidOption", out);
    return c.json(collection(`${root(c)}/templateversions`, "templateVersion", out));
  });
  app.get("/templateversions/:id", (c) => {
    const { ref, t, v } = findVersion(c, c.req.param("id"));
    return c.json(presentVersion(root(c), ref.catalog, t, v));
  });
  app.get("/templateversions/:id/readme", (c) => {
    const { v } = findVersion(c, c.req.param("id"));
    return c.text(v.readme ?? "", 200, { "Content-Type": "text/markdown; charset=utf-8" });
  });
  return app;
}
