/**
 * A broadcast "something changed": waiters re-check their own condition after each `notify`. A
 * caller checks its condition and calls `next` without awaiting in between, so no change is missed.
 */
export class Changes {
  private waiters = new Set<() => void>();

  /** Wakes every waiter. */
  notify(): void {
    const now = [...this.waiters];
    this.waiters.clear();
    for (const w of now) w();
  }

  /** Resolves at the next `notify`, or at once when `signal` is (or gets) aborted. */
  next(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * Resolves after `ms`, or as soon as any of `signals` aborts; its listeners are removed either way
 * (PID 1 naps between probes for months, so nothing may pile up on a long-lived signal).
 */
export function nap(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener("abort", done, { once: true });
  });
}

/**
 * A signal that aborts after `ms` or with `parent`, whichever comes first; `dispose` removes its
 * listener from `parent` (long-lived) and its timer.
 */
export function bounded(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose(): void } {
  const own = new AbortController();
  const abort = () => own.abort();
  const timer = setTimeout(abort, ms);
  if (parent.aborted) own.abort();
  else parent.addEventListener("abort", abort, { once: true });
  return {
    signal: own.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", abort);
    },
  };
}
