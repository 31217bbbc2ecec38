import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import type { SecretBox } from "../auth/secret-box.ts";
import type { Store } from "../store/store.ts";
import { parseCatalogUrlSetting } from "./catalog-url.ts";
import { CatalogService } from "./catalogs.ts";
import { watchCatalogStacks } from "./stack-upgrades.ts";

/** How often catalogs are fetched again by default: Rancher's 5 minutes. */
export const defaultCatalogRefreshMs = 300_000;

/**
 * The refresh interval from CORRAL_CATALOG_REFRESH_SECONDS (0: only on demand); a bad value stops
 * the start, as does a bad CORRAL_CATALOG_URL (Rancher's `catalog.url` setting, either shape).
 */
export function catalogRefreshMsFrom(env: Record<string, string | undefined>): number {
  if (env.CORRAL_CATALOG_URL) parseCatalogUrlSetting(env.CORRAL_CATALOG_URL);
  const raw = env.CORRAL_CATALOG_REFRESH_SECONDS;
  if (raw === undefined || raw === "") return defaultCatalogRefreshMs;
  if (!/^\d{1,7}$/.test(raw))
    throw new AppError(
      "InvalidOption",
      `CORRAL_CATALOG_REFRESH_SECONDS must be whole seconds, got ${raw.slice(0, 32)}`,
    );
  return Number(raw) * 1000;
}

/**
 * Starts the catalogs: clones under `<data>/catalogs` (a temporary folder, removed at stop, when the
 * server keeps everything in memory), the `catalog.url` setting's catalogs added, the interval set,
 * and every catalog fetched once in the background.
 */
export function startCatalogs(
  store: Store,
  box: SecretBox,
  dataDir: string | null,
  env: Record<string, string | undefined>,
): CatalogService {
  const temporary = dataDir ? null : mkdtempSync(join(tmpdir(), "corral-catalogs-"));
  const catalogs = new CatalogService(store, box, temporary ?? join(dataDir!, "catalogs"));
  watchCatalogStacks(catalogs);
  catalogs.start(env.CORRAL_CATALOG_URL, catalogRefreshMsFrom(env));
  void catalogs.refreshAll();
  if (temporary) {
    const stop = catalogs.stop.bind(catalogs);
    catalogs.stop = async () => {
      await stop();
      rmSync(temporary, { recursive: true, force: true });
    };
  }
  return catalogs;
}
