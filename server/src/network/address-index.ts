import type { ContainerNetworkFields } from "../model/container.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/** Where one container row holds a managed address. */
interface Holding {
  hostId: string;
  ip: string;
}

/**
 * Which managed addresses the containers of each host hold, kept in memory so that allocating one
 * does not scan the host's container rows (with removed ones, a host collects thousands). Only rows
 * not `removed` count.
 *
 * The index holds committed state: it is built from the store the first time a store needs it
 * (so after a restart it is rebuilt from what was stored) and then follows committed changes only
 * (the store's change listeners hear nothing of a transaction that rolled back). Reads made inside
 * an open transaction also see that transaction's own writes, taken from the store's pending
 * changes, so two members of one unit never get the same address; when the transaction rolls back
 * those writes are simply never applied.
 */
export class AddressIndex {
  private readonly byRow = new Map<number, Holding>();
  /** host -> ip -> rows holding it (normally one; two while a retain_ip replacement waits). */
  private readonly byHost = new Map<string, Map<string, Set<number>>>();
  private overlayOf: {
    changes: readonly unknown[];
    length: number;
    map: Map<number, Holding | null>;
  } | null = null;

  private constructor(private readonly store: Store) {
    const rows = store.db
      .query<{ id: number; hostId: string | null; ip: string | null }, []>(
        `SELECT id, json_extract(data, '$.hostId') AS hostId, json_extract(data, '$.managedIp') AS ip
         FROM resource WHERE type = 'container' AND state != 'removed'
           AND json_extract(data, '$.managedIp') IS NOT NULL`,
      )
      .all();
    for (const r of rows) if (r.hostId && r.ip) this.set(r.id, { hostId: r.hostId, ip: r.ip });
    // Built inside a transaction, the query saw its uncommitted writes: put the touched rows back
    // as they were before it (the first pending change of a row carries that).
    const seen = new Set<number>();
    for (const change of store.pendingChanges()) {
      if (seen.has(change.row.id)) continue;
      seen.add(change.row.id);
      this.set(change.row.id, holdingOf(change.previous));
    }
    store.onChange((change) => this.set(change.row.id, holdingOf(change.row)));
  }

  /** The index of a store, built on first use. */
  static of(store: Store): AddressIndex {
    let index = indexes.get(store);
    if (!index) {
      index = new AddressIndex(store);
      indexes.set(store, index);
    }
    return index;
  }

  /** Addresses held on a host (containers not removed), with the open transaction's writes. */
  taken(hostId: string): Set<string> {
    const overlay = this.overlay();
    const out = new Set<string>();
    for (const [ip, rows] of this.byHost.get(hostId) ?? []) {
      if (overlay.size === 0) out.add(ip);
      else for (const id of rows) if (!overlay.has(id)) out.add(ip);
    }
    for (const h of overlay.values()) if (h && h.hostId === hostId) out.add(h.ip);
    return out;
  }

  /**
   * The addresses held on a host as committed, without a copy (for counting), or null while the
   * open transaction has container writes (then {@link taken} merges them).
   */
  committedHeld(hostId: string): ReadonlyMap<string, ReadonlySet<number>> | null {
    if (this.store.pendingChanges().length > 0 && this.overlay().size > 0) return null;
    return this.byHost.get(hostId) ?? emptyHeld;
  }

  /** Rows (not removed) holding `ip` on a host, with the open transaction's writes. */
  holders(hostId: string, ip: string): number[] {
    const overlay = this.overlay();
    const out = new Set<number>();
    for (const id of this.byHost.get(hostId)?.get(ip) ?? []) if (!overlay.has(id)) out.add(id);
    for (const [id, h] of overlay) if (h && h.hostId === hostId && h.ip === ip) out.add(id);
    return [...out];
  }

  /** The open transaction's container writes: row id -> what it holds now (null: nothing). */
  private overlay(): Map<number, Holding | null> {
    const changes = this.store.pendingChanges();
    if (changes.length === 0) return emptyOverlay;
    const cached = this.overlayOf;
    if (cached && cached.changes === changes && cached.length === changes.length) return cached.map;
    const map = new Map<number, Holding | null>();
    for (const change of changes)
      if (change.row.type === "container") map.set(change.row.id, holdingOf(change.row));
    this.overlayOf = { changes, length: changes.length, map };
    return map;
  }

  private set(rowId: number, holding: Holding | null): void {
    const old = this.byRow.get(rowId);
    if (old && holding && old.hostId === holding.hostId && old.ip === holding.ip) return;
    if (old) {
      const ips = this.byHost.get(old.hostId);
      const rows = ips?.get(old.ip);
      rows?.delete(rowId);
      if (ips && rows?.size === 0) ips.delete(old.ip);
      if (ips?.size === 0) this.byHost.delete(old.hostId);
      this.byRow.delete(rowId);
    }
    if (!holding) return;
    this.byRow.set(rowId, holding);
    let ips = this.byHost.get(holding.hostId);
    if (!ips) {
      ips = new Map();
      this.byHost.set(holding.hostId, ips);
    }
    let rows = ips.get(holding.ip);
    if (!rows) {
      rows = new Set();
      ips.set(holding.ip, rows);
    }
    rows.add(rowId);
  }
}

const indexes = new WeakMap<Store, AddressIndex>();
const emptyOverlay = new Map<number, Holding | null>();
const emptyHeld: ReadonlyMap<string, ReadonlySet<number>> = new Map();

function holdingOf(row: Row | null): Holding | null {
  if (row?.type !== "container" || row.state === "removed") return null;
  const data = row.data as ContainerNetworkFields & { hostId?: string | null };
  return data.hostId && data.managedIp ? { hostId: data.hostId, ip: data.managedIp } : null;
}
