import { FailureLimiter, type FailureLimits } from "./rate-limit.ts";

/**
 * Failed logins allowed per account name and per client address: 5 at once, then one every 12 s
 * (5 a minute) from the token bucket.
 */
export const defaultLoginLimits: FailureLimits = { perSecond: 5 / 60, burst: 5 };

/** The longest a key is held up by the doubling wait. */
const maxHoldMs = 15 * 60_000;
/** Keys whose doubling wait is remembered at most (the oldest are forgotten first). */
const maxHeld = 50_000;

/**
 * Limits failed logins per key (an account name, a client address): a token bucket
 * (FailureLimiter), and on top of it a wait that doubles with each failure made once the bucket
 * is empty: 12 s, 24 s, 48 s, ... up to 15 minutes, until a login of that key succeeds or it
 * stays quiet for 15 minutes after its last wait. A guesser gets 5 tries, then fewer and fewer; a
 * person who mistypes a few times never meets the wait.
 */
export class LoginLimiter {
  private readonly bucket: FailureLimiter;
  /** key -> failures past the burst, and until when the key waits (epoch ms). */
  private readonly held = new Map<string, { strikes: number; until: number }>();

  constructor(
    private readonly limits: FailureLimits = defaultLoginLimits,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.bucket = new FailureLimiter(limits, now);
  }

  /** Seconds `key` must wait before its next login is looked at (0: it may try now). */
  waitSeconds(key: string): number {
    const hold = this.held.get(key);
    const holdMs = hold ? hold.until - this.now() : 0;
    return Math.max(this.bucket.waitSeconds(key), holdMs > 0 ? Math.ceil(holdMs / 1000) : 0);
  }

  /** Counts a failed login of `key`. */
  fail(key: string): void {
    this.bucket.fail(key);
    const previous = this.held.get(key);
    // A key quiet for 15 minutes after its last wait is forgiven its strikes.
    const hot = previous !== undefined && this.now() < previous.until + maxHoldMs;
    if (!hot && this.bucket.waitSeconds(key) === 0) return;
    const strikes = (hot ? previous.strikes : 0) + 1;
    const step = 1000 / this.limits.perSecond;
    const until = this.now() + Math.min(maxHoldMs, step * 2 ** (strikes - 1));
    this.held.delete(key);
    this.held.set(key, { strikes, until });
    if (this.held.size > maxHeld) this.held.delete(this.held.keys().next().value!);
  }

  /** A successful login of `key`: its doubling starts over. */
  succeed(key: string): void {
    this.held.delete(key);
  }
}
