import { AppError } from "@corral/lib";
import { writeAudit } from "../services/audit.ts";
import { requireAdmin, type VerbContext } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import { type CatalogSource, parseCatalogUrlSetting } from "./catalog-url.ts";
import type { CatalogFields, CatalogService } from "./catalogs.ts";
import { isAllowedBranch, isAllowedGitUrl, scrub } from "./fetch.ts";

/** The name of Rancher's setting that lists the global catalogs. */
export const catalogUrlSetting = "catalog.url";

/** A catalog name as `/v1-catalog` accepts it (the same rule as catalogCreateSchema's). */
const namePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/**
 * The `catalog.url` value: every global catalog in Rancher's JSON shape, ordered by name. URLs are
 * shown as `/v1-catalog` shows them (userinfo hidden), so the value never carries a password.
 */
export function catalogUrlValue(catalogs: CatalogService): string {
  const entries = catalogs
    .rows()
    .filter((r) => !r.projectId)
    .sort((a, b) => a.name!.localeCompare(b.name!))
    .map((r) => [r.name!, { url: scrub(r.data.url), branch: r.data.branch }]);
  return JSON.stringify({ catalogs: Object.fromEntries(entries) });
}

/** Checks every named catalog as `/v1-catalog` would check it; the first problem refuses the value. */
function checkSources(catalogs: CatalogService, sources: CatalogSource[]): void {
  const seen = new Set<string>();
  for (const s of sources) {
    const name = s.name.slice(0, 64);
    if (!namePattern.test(s.name))
      throw new AppError(
        "InvalidFormat",
        `catalog.url: catalog name ${name}: letters, digits, - and _, starting with a letter or digit`,
      );
    if (seen.has(s.name)) throw new AppError("InvalidFormat", `catalog.url: catalog ${name} is named twice`);
    seen.add(s.name);
    if (s.url.length > 2048 || !isAllowedGitUrl(s.url))
      throw new AppError(
        "InvalidFormat",
        `catalog.url: catalog ${name}: use a file://, http(s)://, ssh:// or git:// URL`,
      );
    if (s.branch.length > 200 || !isAllowedBranch(s.branch))
      throw new AppError(
        "InvalidFormat",
        `catalog.url: catalog ${name}: ${s.branch.slice(0, 64)} is not a branch name`,
      );
    // Names are unique across all catalogs: template ids carry only the name.
    if (catalogs.row(s.name)?.projectId)
      throw new AppError("InvalidOption", `catalog.url: ${name} is the name of an environment's catalog`);
  }
}

/**
 * Sets `catalog.url` (admins only): the global catalogs it names are added or changed (url, branch)
 * and those an earlier value named but this one does not are removed. Global catalogs added through
 * `/v1-catalog` and never named by the setting stay. A bad value changes nothing. Returns the names
 * of the catalogs to fetch (new or changed) and of those removed.
 */
export function putCatalogUrl(
  ctx: VerbContext,
  catalogs: CatalogService,
  value: unknown,
  ip: string,
): { fetch: string[]; removed: string[] } {
  requireAdmin(ctx);
  if (typeof value !== "string")
    throw new AppError("InvalidFormat", "value: catalog.url is a string (JSON or name=url,...)", {
      detail: { field: "value" },
    });
  const sources = parseCatalogUrlSetting(value);
  checkSources(catalogs, sources);
  const named = new Set(sources.map((s) => s.name));
  const fetch: string[] = [];
  const removed: string[] = [];
  ctx.store.transaction(() => {
    for (const s of sources) {
      const row = catalogs.row(s.name);
      if (!row) {
        catalogs.insert(s, undefined, undefined, true);
        fetch.push(s.name);
        continue;
      }
      // The value shows URLs with their userinfo hidden: that hidden form sent back means "unchanged".
      const url = s.url === scrub(row.data.url) ? row.data.url : s.url;
      const changed = url !== row.data.url || s.branch !== row.data.branch;
      // Credentials were given for one URL; they are not sent to another.
      const data: Partial<CatalogFields> = { url, branch: s.branch, fromSetting: true };
      if (url !== row.data.url) data.credentials = undefined;
      ctx.store.update(row.id, { data });
      if (changed) fetch.push(s.name);
    }
    for (const row of catalogs.rows() as Row<CatalogFields>[])
      if (!row.projectId && row.data.fromSetting && !named.has(row.name!)) {
        ctx.store.update(row.id, { state: "removed", removed: Date.now(), lookup: null });
        removed.push(row.name!);
      }
    writeAudit(ctx.store, {
      principal: ctx.principal,
      clientIp: ip,
      eventType: "api.setting.update",
      resourceType: "setting",
      resourceId: catalogUrlSetting,
      projectId: null,
      requestObject: { value: sources.map((s) => ({ ...s, url: scrub(s.url) })) },
      responseCode: 200,
    });
  });
  for (const name of removed) catalogs.forget(name);
  return { fetch, removed };
}
