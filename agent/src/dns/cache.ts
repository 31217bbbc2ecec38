import type { Answer } from "dns-packet";

/** An upstream answer as kept in the cache: its sections and when it was stored. */
export interface CachedAnswer {
  rcode: number;
  flags: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

interface Entry {
  value: CachedAnswer;
  storedAt: number;
  expiresAt: number;
}

/** Upper bound on what we keep, whatever the upstream says: a stale day is worse than a refetch. */
const MAX_TTL_S = 86_400;

/**
 * An LRU cache of upstream answers that honours their TTLs: an entry lives for the smallest TTL of
 * its records (for a negative answer, the SOA's), and is handed back with TTLs lowered by the time
 * it spent here, so a downstream cache never keeps a record longer than its owner allowed.
 */
export class AnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of live entries (expired ones may linger until touched). */
  get size(): number {
    return this.entries.size;
  }

  /** The answer for `key` with aged TTLs, or undefined when absent or expired. */
  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (now >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert to mark it most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const age = Math.floor((now - entry.storedAt) / 1000);
    const aged = (list: Answer[]) =>
      list.map((a) =>
        "ttl" in a && typeof a.ttl === "number" ? { ...a, ttl: Math.max(0, a.ttl - age) } : a,
      );
    const v = entry.value;
    return {
      ...v,
      answers: aged(v.answers),
      authorities: aged(v.authorities),
      additionals: aged(v.additionals),
    };
  }

  /** Stores `value` when it is cacheable (NOERROR or NXDOMAIN with a positive TTL). */
  set(key: string, value: CachedAnswer): void {
    const ttl = cacheTtl(value);
    if (ttl <= 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: now, expiresAt: now + ttl * 1000 });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets everything (the set of upstreams changed). */
  clear(): void {
    this.entries.clear();
  }
}

function ttlOf(a: Answer): number {
  return "ttl" in a && typeof a.ttl === "number" ? a.ttl : 0;
}

/** Seconds an answer may be cached: 0 for failures and for answers with nothing to time them by. */
export function cacheTtl(v: CachedAnswer): number {
  if (v.rcode !== 0 && v.rcode !== 3) return 0;
  let ttl = Number.POSITIVE_INFINITY;
  if (v.answers.length > 0) {
    for (const a of v.answers) ttl = Math.min(ttl, ttlOf(a));
  } else {
    // Negative caching (RFC 2308): the SOA's own TTL bounded by its minimum field.
    const soa = v.authorities.find((a) => a.type === "SOA");
    if (soa?.type !== "SOA") return 0;
    ttl = Math.min(ttlOf(soa), soa.data.minimum ?? ttlOf(soa));
  }
  return Number.isFinite(ttl) ? Math.min(ttl, MAX_TTL_S) : 0;
}
