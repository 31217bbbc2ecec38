import type { CatalogFields } from "../catalog/catalogs.ts";
import { scrub } from "../catalog/fetch.ts";
import type { IndexedTemplate, IndexedVersion } from "../catalog/model.ts";
import { parseQuestions } from "../catalog/questions.ts";
import { compareVersions, defaultVersionOf, isCompatible, upgradesFrom } from "../catalog/versions.ts";
import type { Row } from "../store/rows.ts";

/** A template's id in `/v1-catalog`: `library:wordpress`, `library:infra*ipsec` for infra templates. */
export function templateId(catalog: string, t: IndexedTemplate): string {
  return `${catalog}:${t.base === "infra-templates" ? "infra*" : ""}${t.folder}`;
}

/** A catalog as Rancher's catalog service showed it (the URL without credentials). */
export function presentCatalog(root: string, row: Row<CatalogFields>): Record<string, unknown> {
  const self = `${root}/catalogs/${row.name}`;
  return {
    id: row.name,
    type: "catalog",
    name: row.name,
    url: scrub(row.data.url),
    branch: row.data.branch,
    kind: "native",
    environmentId: row.data.environmentId ?? "global",
    state: row.state,
    transitioning: row.state === "refreshing" ? "yes" : row.state === "error" ? "error" : "no",
    transitioningMessage: row.data.transitioningMessage ?? null,
    commit: row.data.commit ?? null,
    lastRefreshTimestamp: row.data.lastRefreshed ? new Date(row.data.lastRefreshed).toISOString() : null,
    hasCredentials: row.data.credentials !== undefined,
    // One from the catalog.url setting is changed there, not through PUT.
    fromSetting: row.data.fromSetting === true,
    // The public half only: what the git server's deploy keys need. The private key is never shown.
    sshPublicKey: row.data.sshPublicKey ?? null,
    knownHosts: row.data.knownHosts ?? null,
    created: new Date(row.created).toISOString(),
    links: { self, templates: `${root}/templates?catalogId=${row.name}` },
    actions: { refresh: `${self}?action=refresh` },
  };
}

/** A template with links to its versions (`versionLinks` by version string, as the CLI reads them). */
export function presentTemplate(root: string, catalog: string, t: IndexedTemplate): Record<string, unknown> {
  const id = templateId(catalog, t);
  const self = `${root}/templates/${id}`;
  const def = defaultVersionOf(t);
  const versionLinks: Record<string, string> = {};
  for (const v of t.versions)
    if (isCompatible(v)) versionLinks[v.version] = `${root}/templateversions/${id}:${v.revision}`;
  return {
    id,
    type: "template",
    catalogId: catalog,
    name: t.name,
    description: t.description ?? null,
    category: t.category ?? null,
    categories: t.categories,
    folderName: t.folder,
    path: `${catalog}/${t.base === "infra-templates" ? "infra*" : ""}${t.folder}`,
    templateBase: t.base === "infra-templates" ? "infra" : "",
    // A string in Rancher's catalog types (its CLI refuses a JSON boolean here).
    isSystem: t.base === "infra-templates" ? "true" : "false",
    labels: t.labels,
    license: t.license ?? null,
    maintainer: t.maintainer ?? null,
    projectURL: t.projectURL ?? null,
    iconFilename: t.icon ?? null,
    defaultVersion: def?.version ?? null,
    defaultTemplateVersionId: def ? `${id}:${def.revision}` : null,
    minimumRancherVersion: def?.minimumRancherVersion ?? null,
    maximumRancherVersion: def?.maximumRancherVersion ?? null,
    upgradeFrom: def?.upgradeFrom ?? null,
    versionLinks,
    state: t.broken ? "broken" : "active",
    transitioningMessage: t.broken ?? (t.versionErrors.length > 0 ? t.versionErrors.join("; ") : null),
    links: {
      self,
      ...(t.icon ? { icon: `${self}/icon` } : {}),
      ...(def
        ? { defaultVersion: versionLinks[def.version] ?? `${root}/templateversions/${id}:${def.revision}` }
        : {}),
    },
    actions: {},
  };
}

/** One version: its files, questions and where it may upgrade to. */
export function presentVersion(
  root: string,
  catalog: string,
  t: IndexedTemplate,
  v: IndexedVersion,
): Record<string, unknown> {
  const tid = templateId(catalog, t);
  const id = `${tid}:${v.revision}`;
  const upgradeVersionLinks: Record<string, string> = {};
  for (const u of upgradesFrom(t, v.revision))
    upgradeVersionLinks[u.version] = `${root}/templateversions/${tid}:${u.revision}`;
  return {
    id,
    type: "templateVersion",
    templateId: tid,
    catalogId: catalog,
    name: v.name ?? t.name,
    description: v.description ?? t.description ?? null,
    version: v.version,
    revision: v.revision,
    uuid: v.uuid ?? null,
    files: v.files,
    // Normalised (defaults as strings) as Rancher's clients decode them; bad entries left out.
    questions: parseQuestions(v.questions).questions,
    readme: v.readme ?? null,
    minimumRancherVersion: v.minimumRancherVersion ?? null,
    maximumRancherVersion: v.maximumRancherVersion ?? null,
    upgradeFrom: v.upgradeFrom ?? null,
    compatible: isCompatible(v),
    upgradeVersionLinks,
    links: { self: `${root}/templateversions/${id}`, template: `${root}/templates/${tid}` },
    actions: {},
  };
}

/** Fields compared as versions by `_lt`/`_lte`/`_gt`/`_gte` filters. */
const versionFields = new Set([
  "minimumRancherVersion",
  "maximumRancherVersion",
  "version",
  "defaultVersion",
]);

/**
 * Applies Rancher's collection filters (`field=value`, `field_ne=`, `field_lte=`, `field_prefix=`)
 * to presented items; unknown fields are refused by the caller. A missing value passes range filters,
 * as a template without `minimum_rancher_version` suits every server.
 */
export function applyFilters(
  items: Record<string, unknown>[],
  query: Record<string, string>,
  fields: readonly string[],
): Record<string, unknown>[] | string {
  const tests: ((item: Record<string, unknown>) => boolean)[] = [];
  for (const [key, want] of Object.entries(query)) {
    if (["limit", "marker", "sort", "order", "projectId", "action"].includes(key)) continue;
    const m = /^(.+?)(?:_(eq|ne|lt|lte|gt|gte|prefix|like|null|notnull))?$/.exec(key)!;
    const field = m[1]!;
    const mod = m[2] ?? "eq";
    if (!fields.includes(field)) return `no filter ${field.slice(0, 64)}`;
    const cmp = (v: string) =>
      versionFields.has(field) ? compareVersions(v, want) : v < want ? -1 : v > want ? 1 : 0;
    tests.push((item) => {
      const raw = item[field];
      const values = Array.isArray(raw)
        ? raw.map(String)
        : raw === null || raw === undefined
          ? []
          : [String(raw)];
      switch (mod) {
        case "ne":
          return !values.includes(want);
        case "null":
          return values.length === 0;
        case "notnull":
          return values.length > 0;
        case "prefix":
          return values.some((v) => v.startsWith(want));
        case "like":
          return values.some((v) => v.includes(want.replaceAll("%", "")));
        case "lt":
          return values.length === 0 || values.some((v) => cmp(v) < 0);
        case "lte":
          return values.length === 0 || values.some((v) => cmp(v) <= 0);
        case "gt":
          return values.length === 0 || values.some((v) => cmp(v) > 0);
        case "gte":
          return values.length === 0 || values.some((v) => cmp(v) >= 0);
        default:
          return values.includes(want) || (want === "" && values.length === 0);
      }
    });
  }
  return items.filter((item) => tests.every((t) => t(item)));
}
