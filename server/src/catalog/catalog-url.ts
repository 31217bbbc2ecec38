import { AppError } from "@corral/lib";

/** One catalog named by Rancher's `catalog.url` setting. */
export interface CatalogSource {
  name: string;
  url: string;
  branch: string;
}

/** The branch a catalog is read from when none is named (Rancher's default). */
export const defaultBranch = "master";

/**
 * Reads Rancher's `catalog.url` setting, in both shapes it had: JSON
 * `{"catalogs":{"library":{"url":"...","branch":"master"}}}` and the older `library=url,other=url`.
 * A bad value is refused whole, naming what is wrong.
 */
export function parseCatalogUrlSetting(value: string): CatalogSource[] {
  const text = value.trim();
  if (text === "" || text === "{}") return [];
  if (text.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new AppError("InvalidFormat", `catalog.url: not JSON: ${(e as Error).message}`);
    }
    const catalogs = (doc as { catalogs?: unknown }).catalogs;
    if (!catalogs || typeof catalogs !== "object" || Array.isArray(catalogs))
      throw new AppError("InvalidFormat", 'catalog.url: expected {"catalogs":{"<name>":{"url":...}}}');
    return Object.entries(catalogs).map(([name, entry]) => {
      const e = entry as { url?: unknown; branch?: unknown };
      if (typeof e?.url !== "string" || e.url === "")
        throw new AppError("InvalidFormat", `catalog.url: catalog ${name.slice(0, 64)} has no url`);
      const branch = typeof e.branch === "string" && e.branch !== "" ? e.branch : defaultBranch;
      return { name, url: e.url, branch };
    });
  }
  return text
    .split(",")
    .filter((p) => p.trim() !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0)
        throw new AppError("InvalidFormat", `catalog.url: expected name=url, got ${pair.slice(0, 64)}`);
      return { name: pair.slice(0, at).trim(), url: pair.slice(at + 1).trim(), branch: defaultBranch };
    });
}
