/**
 * Exponential backoff with jitter, capped: each delay lies between half and all of
 * `min(maxMs, baseMs * 2^attempt)`; `reset` after a success. `random` is Math.random unless a test
 * needs the delays exact.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly maxMs = 10_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, growing with each call. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Starts again from the base delay. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms` milliseconds, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
