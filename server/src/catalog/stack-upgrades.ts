import type { StackFields } from "../model/service.ts";
import type { CatalogService } from "./catalogs.ts";
import { upgradesFrom } from "./versions.ts";

/** A stack's catalog origin, read from `catalog://<catalog>:<template>:<revision>`. */
export interface CatalogRef {
  catalog: string;
  /** The template folder (`infra*<name>` for infra templates). */
  folder: string;
  revision: number;
}

/** Parses a catalog externalId; null when it is not one. */
export function parseExternalId(externalId: string | undefined | null): CatalogRef | null {
  const m = /^catalog:\/\/([A-Za-z0-9_-]+):((?:infra\*)?[^:/\s]+):(\d{1,9})$/.exec(externalId ?? "");
  return m ? { catalog: m[1]!, folder: m[2]!, revision: Number(m[3]) } : null;
}

/** The externalId of a template version. */
export function externalIdOf(ref: CatalogRef): string {
  return `catalog://${ref.catalog}:${ref.folder}:${ref.revision}`;
}

/** What a stack shows of its upgrades: the versions it may go to, by version, with their externalIds. */
export function upgradeInfo(
  catalogs: CatalogService,
  externalId: string | undefined,
): { upgradeAvailable: boolean; upgradeVersions: Record<string, string> } {
  const ref = parseExternalId(externalId);
  const t = ref ? catalogs.template(ref.catalog, ref.folder) : undefined;
  const upgradeVersions: Record<string, string> = {};
  if (ref && t)
    for (const v of upgradesFrom(t, ref.revision))
      upgradeVersions[v.version] = externalIdOf({ ...ref, revision: v.revision });
  return { upgradeAvailable: Object.keys(upgradeVersions).length > 0, upgradeVersions };
}

/**
 * After each refresh, every stack launched from that catalog gets its `upgradeAvailable` and
 * `upgradeVersions` recomputed; only stacks whose answer changed are written.
 */
export function watchCatalogStacks(catalogs: CatalogService): void {
  catalogs.onIndexed = (catalog) => {
    const store = catalogs.store;
    store.transaction(() => {
      for (const stack of store.all<StackFields>("stack")) {
        if (stack.state === "removed" || parseExternalId(stack.data.externalId)?.catalog !== catalog)
          continue;
        const info = upgradeInfo(catalogs, stack.data.externalId);
        if (
          info.upgradeAvailable !== (stack.data.upgradeAvailable ?? false) ||
          JSON.stringify(info.upgradeVersions) !== JSON.stringify(stack.data.upgradeVersions ?? {})
        )
          store.update(stack.id, { data: info });
      }
    });
  };
}
