import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { CatalogIndex, IndexedTemplate, IndexedVersion } from "./model.ts";

/** Files larger than this are not read into the index (a catalog holds text files of a few KiB). */
const maxFileBytes = 1024 * 1024;

/** The template folders Rancher's catalog read, and the base each is listed under. */
const bases = ["templates", "infra-templates"] as const;

/**
 * Reads a catalog clone in Rancher's layout: `templates/<name>/config.yml`, its icon, and version
 * folders `N/` with compose files. A template that cannot be read is listed with its reason; it never
 * stops the rest of the catalog from being read.
 */
export function indexCatalog(dir: string, commit: string): CatalogIndex {
  const templates: IndexedTemplate[] = [];
  for (const base of bases) {
    const root = join(dir, base);
    if (!isDir(root)) continue;
    for (const folder of readdirSync(root).sort()) {
      if (folder.startsWith(".") || !isDir(join(root, folder))) continue;
      templates.push(indexTemplate(join(root, folder), base, folder));
    }
  }
  return { templates, commit };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Parses YAML into a plain object, or throws a message naming the file and the first error. */
function yamlObject(path: string, label: string): Record<string, unknown> {
  const text = readFileSync(path, "utf8");
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${label}: not a mapping`);
  return doc as Record<string, unknown>;
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;

function indexTemplate(dir: string, base: IndexedTemplate["base"], folder: string): IndexedTemplate {
  const t: IndexedTemplate = {
    base,
    folder,
    name: folder,
    categories: [],
    labels: {},
    versions: [],
    versionErrors: [],
  };
  const entries = readdirSync(dir);
  t.icon = entries.find((e) => e.startsWith("catalogIcon-"));
  const configFile = ["config.yml", "config.yaml"].find((f) => entries.includes(f));
  if (!configFile) return { ...t, broken: "no config.yml" };
  try {
    const config = yamlObject(join(dir, configFile), configFile);
    t.name = str(config.name) ?? folder;
    t.description = str(config.description);
    t.defaultVersion = str(config.version);
    t.maintainer = str(config.maintainer);
    t.license = str(config.license);
    t.projectURL = str(config.projectURL);
    const cats = Array.isArray(config.categories) ? config.categories.map(str) : [str(config.category)];
    t.categories = cats.filter((c): c is string => !!c);
    t.category = t.categories[0];
    if (config.labels && typeof config.labels === "object")
      for (const [k, v] of Object.entries(config.labels)) t.labels[k] = str(v) ?? "";
  } catch (e) {
    return { ...t, broken: (e as Error).message };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || !isDir(join(dir, entry))) continue;
    try {
      t.versions.push(indexVersion(join(dir, entry), Number(entry)));
    } catch (e) {
      t.versionErrors.push(`${entry}/${(e as Error).message}`);
    }
  }
  t.versions.sort((a, b) => a.revision - b.revision);
  if (t.versions.length === 0)
    t.broken = t.versionErrors.length > 0 ? t.versionErrors.join("; ") : "no version folder (N/)";
  return t;
}

function indexVersion(dir: string, revision: number): IndexedVersion {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (!st.isFile() || st.size > maxFileBytes) continue;
    files[name] = readFileSync(path, "utf8");
  }
  if (!files["docker-compose.yml"] && !files["docker-compose.yml.tpl"])
    throw new Error("docker-compose.yml: missing (nor docker-compose.yml.tpl)");
  const v: IndexedVersion = { revision, version: String(revision), questions: [], files };
  const rc = ["rancher-compose.yml", "rancher-compose.yml.tpl"].find((f) => files[f] !== undefined);
  if (rc && existsSync(join(dir, rc))) {
    // A .tpl rancher-compose is rendered at launch; its catalog block is read from the raw text,
    // which parses when the template actions sit in values (as Rancher's catalogs write them).
    const doc = yamlObject(join(dir, rc), rc);
    const block = (doc[".catalog"] ?? doc.catalog) as Record<string, unknown> | undefined;
    if (block && typeof block === "object" && !Array.isArray(block)) {
      v.version = str(block.version) ?? v.version;
      v.name = str(block.name);
      v.description = str(block.description);
      if (block.questions !== undefined && !Array.isArray(block.questions))
        throw new Error(`${rc}: .catalog.questions is not a list`);
      v.questions = (block.questions as unknown[] | undefined) ?? [];
      v.minimumRancherVersion = str(block.minimum_rancher_version);
      v.maximumRancherVersion = str(block.maximum_rancher_version);
      v.upgradeFrom = str(block.upgrade_from);
      v.uuid = str(block.uuid);
    }
  }
  v.readme = files["README.md"];
  return v;
}
