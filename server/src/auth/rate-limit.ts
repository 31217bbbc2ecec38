/** How many failed attempts a bucket allows: a burst, then a steady rate. */
export interface FailureLimits {
  /** Failures forgiven per second once the burst is spent. */
  perSecond: number;
  /** Failures allowed at once (the bucket's size). */
  burst: number;
}

/**
 * Default limits: 20 failures at once, then 5 a second, per client address and per access key.
 * A person who mistypes or a script with a stale key stays far below that; a guesser is held to
 * 5 guesses a second from one address (it was ~10,500) and to 5 a second for one key, from all
 * addresses together.
 */
export const defaultFailureLimits: FailureLimits = { perSecond: 5, burst: 20 };

/** Buckets kept at most; full ones (nothing to remember) are dropped first. */
const maxBuckets = 50_000;

/**
 * Token buckets of failed attempts, one per key (a client address, an access key): each failure
 * takes a token, tokens come back at `perSecond`, and an empty bucket means "wait". Only failures
 * are counted, so a client that authenticates correctly never fills one.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** When the last bucket that must wait will have a token again: until then, someone waits. */
  private quietAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: FailureLimits = defaultFailureLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Seconds `key` must wait before its next attempt is looked at (0: it may try now). */
  waitSeconds(key: string): number {
    const tokens = this.tokens(key);
    if (tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - tokens) / this.limits.perSecond));
  }

  /**
   * True when some bucket may be waiting now. False means no key waits, so a caller can skip
   * working out which keys a request has (the client address costs a lookup per request).
   */
  anyWaiting(): boolean {
    return this.now() < this.quietAt;
  }

  /** Counts one failure of `key`. */
  fail(key: string): void {
    const tokens = Math.max(0, this.tokens(key) - 1);
    const now = this.now();
    // Re-inserted, so the map's order is least recently failed first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: now });
    if (tokens < 1)
      this.quietAt = Math.max(this.quietAt, now + ((1 - tokens) / this.limits.perSecond) * 1000);
    if (this.buckets.size > maxBuckets) this.prune();
  }

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private tokens(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.limits.burst;
    const refilled = ((this.now() - bucket.at) / 1000) * this.limits.perSecond;
    return Math.min(this.limits.burst, bucket.tokens + refilled);
  }

  /** Shrinks to 90% of the bound, so a flood pays one scan per 5,000 new buckets, not one each. */
  private prune(): void {
    const target = maxBuckets * 0.9;
    for (const key of this.buckets.keys())
      if (this.tokens(key) >= this.limits.burst) this.buckets.delete(key);
    // Still too many (a flood from many addresses): forget the oldest; they had the longest to refill.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The bucket name of a client address. An IPv6 client usually holds a whole /64, so the /64 is one
 * client (otherwise each of its 2^64 addresses would get its own burst); IPv4-mapped IPv6 addresses
 * are their IPv4 address.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `ip:${mapped[1]}`;
  if (!address.includes(":")) return `ip:${address}`;
  const groups = expandIpv6(address.split("%")[0]!);
  return groups ? `ip:${groups.slice(0, 4).join(":")}::/64` : `ip:${address}`;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.replace(/^0+(?=.)/, ""));
}
