import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AppError, createLogger } from "@corral/lib";
import type { SecretBox } from "../auth/secret-box.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { type CatalogSource, parseCatalogUrlSetting } from "./catalog-url.ts";
import { fetchCatalog, type GitCredentials } from "./fetch.ts";
import { indexCatalog } from "./index-catalog.ts";
import type { CatalogIndex, IndexedTemplate, IndexedVersion } from "./model.ts";
import { compatibilityVersion } from "./versions.ts";

const log = createLogger("catalog");

/** A catalog's stored fields (the row's name is the catalog's name, its id in `/v1-catalog`). */
export interface CatalogFields {
  url: string;
  branch: string;
  /** The environment of a per-environment catalog; absent for global ones. */
  environmentId?: string;
  /** Credentials sealed with the server's secret box (never shown back). */
  credentials?: string;
  /** The public half of the catalog's ssh key (shown, to be added as a deploy key). */
  sshPublicKey?: string;
  /** known_hosts lines the ssh server must match; without them the first key seen is kept. */
  knownHosts?: string;
  commit?: string;
  lastRefreshed?: number;
  /** git's message when the last refresh failed; the last good copy keeps serving. */
  transitioningMessage?: string;
  /** Set when the catalog came from the `catalog.url` setting at start. */
  fromSetting?: boolean;
}

/** The states a catalog row moves through. */
export const catalogStates = { active: "active", refreshing: "refreshing", error: "error" } as const;

/**
 * Catalogs: their definitions live in the store, their clones in the data folder, and the index of
 * each clone in memory (listing reads memory only). Refreshes run one at a time per catalog.
 */
export class CatalogService {
  private readonly indexes = new Map<string, CatalogIndex>();
  private readonly running = new Map<string, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The Rancher version templates are checked against. */
  readonly compatibilityVersion = compatibilityVersion;
  /** Called after a refresh changed a catalog's index (stacks recompute their upgrades). */
  onIndexed: (catalog: string) => void = () => {};

  constructor(
    readonly store: Store,
    /** Seals credentials and password answers at rest. */
    readonly box: SecretBox,
    /** Where clones live: `<dir>/<catalog name>`. */
    readonly dir: string,
  ) {}

  /**
   * Adds the catalogs of a `catalog.url` setting value (global, marked as from the setting), reads
   * the clones already on disk, and refreshes every catalog every `intervalMs` (0: never).
   */
  start(settingValue: string | undefined, intervalMs: number): void {
    const sources: CatalogSource[] = settingValue ? parseCatalogUrlSetting(settingValue) : [];
    this.store.transaction(() => {
      for (const s of sources) {
        const row = this.store.getByLookup<CatalogFields>("catalog", s.name);
        if (row && row.state !== "removed")
          this.store.update(row.id, { data: { url: s.url, branch: s.branch, fromSetting: true } });
        else this.insert(s, undefined, undefined, true);
      }
    });
    for (const row of this.rows()) this.loadFromDisk(row);
    if (intervalMs > 0) this.timer = setInterval(() => void this.refreshAll(), intervalMs);
  }

  /** Stops the interval; refreshes under way finish on their own. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Inserts a catalog row (inside the caller's transaction); `ssh` holds the key's public half and
   * pinned host keys, both checked by the caller.
   */
  insert(
    s: CatalogSource,
    environmentId?: string,
    credentials?: GitCredentials,
    fromSetting = false,
    ssh: { publicKey?: string; knownHosts?: string } = {},
  ): Row {
    return this.store.insert<CatalogFields>("catalog", {
      name: s.name,
      lookup: s.name,
      projectId: environmentId ?? null,
      state: catalogStates.refreshing,
      data: {
        url: s.url,
        branch: s.branch,
        ...(environmentId ? { environmentId } : {}),
        ...(credentials ? { credentials: this.box.seal(JSON.stringify(credentials)) } : {}),
        ...(fromSetting ? { fromSetting } : {}),
        ...(ssh.publicKey ? { sshPublicKey: ssh.publicKey } : {}),
        ...(ssh.knownHosts ? { knownHosts: ssh.knownHosts } : {}),
      },
    });
  }

  /** Every live catalog row. */
  rows(): Row<CatalogFields>[] {
    return this.store.all<CatalogFields>("catalog", { state: Object.values(catalogStates) });
  }

  /** The live catalog row named `name`, or null. */
  row(name: string): Row<CatalogFields> | null {
    const row = this.store.getByLookup<CatalogFields>("catalog", name);
    return row && row.state !== "removed" ? row : null;
  }

  /** The index of a catalog (empty until its first good fetch). */
  index(name: string): CatalogIndex | undefined {
    return this.indexes.get(name);
  }

  /** One template of a catalog by its folder (`infra*<name>` for an infra template), or undefined. */
  template(catalog: string, folder: string): IndexedTemplate | undefined {
    const infra = folder.startsWith("infra*");
    const name = infra ? folder.slice(6) : folder;
    return this.indexes
      .get(catalog)
      ?.templates.find((t) => t.folder === name && (t.base === "infra-templates") === infra);
  }

  /** One version of a template by its revision, or undefined. */
  version(catalog: string, folder: string, revision: number): IndexedVersion | undefined {
    return this.template(catalog, folder)?.versions.find((v) => v.revision === revision);
  }

  /**
   * Removes a catalog's clone, index and learned host keys (the row is removed by the caller's
   * verb): a catalog added again under the name trusts anew.
   */
  forget(name: string): void {
    this.indexes.delete(name);
    rmSync(join(this.dir, name), { recursive: true, force: true });
    rmSync(this.knownHostsFile(name), { force: true });
  }

  /** Where a catalog's ssh host keys learned at its first fetch are kept (not a catalog name: dot). */
  knownHostsFile(name: string): string {
    return join(this.dir, ".known_hosts", name);
  }

  /** Refreshes every catalog; failures are recorded on each catalog. */
  async refreshAll(): Promise<void> {
    await Promise.allSettled(this.rows().map((r) => this.refresh(r.name!)));
  }

  /**
   * Fetches a catalog again and re-reads it. A failure leaves the last good index serving and puts
   * git's message on the catalog. Concurrent calls for one catalog share one fetch.
   */
  refresh(name: string): Promise<void> {
    const pending = this.running.get(name);
    if (pending) return pending;
    const work = this.doRefresh(name).finally(() => this.running.delete(name));
    this.running.set(name, work);
    return work;
  }

  /** Fetches a catalog with its current definition: after a fetch under way (with the old one) ends. */
  refreshChanged(name: string): Promise<void> {
    const pending = this.running.get(name);
    return pending ? pending.catch(() => {}).then(() => this.refresh(name)) : this.refresh(name);
  }

  private async doRefresh(name: string): Promise<void> {
    const row = this.row(name);
    if (!row) throw new AppError("NotFound", `catalog ${name} not found`);
    this.store.update(row.id, { state: catalogStates.refreshing });
    const credentials = row.data.credentials
      ? (JSON.parse(this.box.open(row.data.credentials)) as GitCredentials)
      : undefined;
    try {
      const dir = join(this.dir, name);
      const commit = await fetchCatalog({
        url: row.data.url,
        branch: row.data.branch,
        dir,
        credentials,
        knownHosts: row.data.knownHosts,
        knownHostsFile: this.knownHostsFile(name),
      });
      this.indexes.set(name, indexCatalog(dir, commit));
      this.settle(row.id, { state: catalogStates.active, commit, message: undefined });
      this.onIndexed(name);
    } catch (e) {
      const message = (e as Error).message;
      log.warn("catalog refresh failed", { catalog: name, message });
      this.settle(row.id, { state: catalogStates.error, message });
    }
  }

  /** Writes a refresh's outcome unless the catalog was removed meanwhile. */
  private settle(id: number, o: { state: string; commit?: string; message: string | undefined }): void {
    this.store.update(
      id,
      {
        state: o.state,
        data: {
          lastRefreshed: Date.now(),
          transitioningMessage: o.message,
          ...(o.commit ? { commit: o.commit } : {}),
        },
      },
      [catalogStates.refreshing, catalogStates.active, catalogStates.error],
    );
  }

  /** Reads a clone left by an earlier run, so a restart serves the catalog before it refetches. */
  private loadFromDisk(row: Row<CatalogFields>): void {
    const dir = join(this.dir, row.name!);
    if (existsSync(join(dir, ".git"))) this.indexes.set(row.name!, indexCatalog(dir, row.data.commit ?? ""));
  }
}
