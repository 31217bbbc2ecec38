import { parseId } from "@corral/api";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { ResourceDef } from "./definition.ts";
import { present } from "./present.ts";

/**
 * Bounds of the cache, in characters of JSON (one byte each for the ASCII that nearly all of it
 * is). Hot answers (a resource, a page of the default 100 rows) are a few KB to a few hundred KB,
 * so 32 MiB holds thousands of them; one answer above 4 MiB would push out hundreds of others to
 * serve one client and is encoded afresh instead. Counting entries instead let 1,000 pages of
 * 17.8 MB each stay (RSS 144 -> 670 MB).
 */
export const cacheLimits = { bytes: 32 * 1024 * 1024, entryBytes: 4 * 1024 * 1024 };

interface Entry {
  json: string;
  /** The resource type whose changes make this entry stale. */
  type: string;
  /** The base URL a resource's links were written with. */
  base?: string;
}

/**
 * Encoded answers kept between reads. A resource's JSON depends only on its row and the base URL, so
 * it is kept until the row changes; a collection page depends on the rows of one type, so every
 * page of a type is dropped as soon as any row of that type changes. Reads of an unchanged API then
 * cost a lookup instead of a query, a re-presentation and a re-encoding of every row. The least
 * recently used entries go first once the cache holds {@link cacheLimits}.bytes.
 */
export class ResponseCache {
  /** In order of use, oldest first (a hit moves an entry to the end). */
  private readonly entries = new Map<string, Entry>();
  /** Keys of the pages of each type, to drop them when the type changes. */
  private readonly pagesOf = new Map<string, Set<string>>();
  private size = 0;

  constructor(
    private readonly store: Store,
    private readonly limits = cacheLimits,
  ) {
    store.onChange(({ row }) => {
      this.dropRow(row.id);
      this.dropPages(row.type);
      // Stacks show their services' ids, services and hosts their containers' ids (ResourceDef.related).
      for (const owner of relatedOwners(row)) {
        this.dropPages(owner.type);
        const id = parseId(owner.type, owner.id);
        if (id !== null) this.dropRow(id);
      }
    });
  }

  private dropRow(id: number): void {
    this.drop(rowKey(id));
  }

  private dropPages(type: string): void {
    const pages = this.pagesOf.get(type);
    if (!pages) return;
    this.pagesOf.delete(type);
    for (const key of pages) this.drop(key);
  }

  /** Characters of JSON held now. */
  get bytes(): number {
    return this.size;
  }

  /** Number of answers held now. */
  get count(): number {
    return this.entries.size;
  }

  /** The JSON of one resource. */
  resource(def: ResourceDef, row: Row, base: string): string {
    const key = rowKey(row.id);
    const hit = this.take(key);
    // One entry per row: a read through another base URL replaces it.
    if (hit !== undefined && hit.base === base) return hit.json;
    const json = JSON.stringify(present(def, row, base, this.store));
    this.put(key, { json, type: row.type, base });
    return json;
  }

  /** The JSON of a collection page: `key` must name everything the page depends on besides its rows. */
  page(type: string, key: string, build: () => object): string {
    const pageKey = `p${key}`;
    const hit = this.take(pageKey);
    if (hit !== undefined) return hit.json;
    const json = JSON.stringify(build());
    if (this.put(pageKey, { json, type })) {
      const pages = this.pagesOf.get(type) ?? new Set<string>();
      pages.add(pageKey);
      this.pagesOf.set(type, pages);
    }
    return json;
  }

  private take(key: string): Entry | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** Keeps an entry unless it is too big; evicts the oldest to make room. Answers whether it was kept. */
  private put(key: string, entry: Entry): boolean {
    this.drop(key);
    const bytes = entry.json.length + key.length;
    if (bytes > this.limits.entryBytes) return false;
    while (this.size + bytes > this.limits.bytes && this.entries.size > 0) {
      const oldest = this.entries.keys().next().value as string;
      this.drop(oldest);
    }
    this.entries.set(key, entry);
    this.size += bytes;
    return true;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.size -= entry.json.length + key.length;
    if (key.startsWith("p")) this.pagesOf.get(entry.type)?.delete(key);
  }
}

/** The rows whose answers list this one: a service's stack, a container's service and host. */
function relatedOwners(row: Row): { type: "stack" | "service" | "host"; id: string }[] {
  const data = row.data as { stackId?: unknown; serviceId?: unknown; hostId?: unknown };
  if (row.type === "service" && typeof data.stackId === "string")
    return [{ type: "stack", id: data.stackId }];
  if (row.type !== "container") return [];
  const out: { type: "service" | "host"; id: string }[] = [];
  if (typeof data.serviceId === "string") out.push({ type: "service", id: data.serviceId });
  if (typeof data.hostId === "string") out.push({ type: "host", id: data.hostId });
  return out;
}

function rowKey(id: number): string {
  return `r${id}`;
}
