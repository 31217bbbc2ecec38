import type { HostState } from "@corral/api";
import { Backoff, type Logger, sleep } from "@corral/lib";
import type { HostStateBus } from "../host-state-bus.ts";

/** A controller's loop, started by startReconcileLoop. */
export interface ReconcileLoop {
  /** Asks for a pass as soon as possible (passes never overlap; kicks during one coalesce into one more). */
  kick(): void;
  /** Resolves when the loop stopped after `signal` aborted. */
  stopped: Promise<void>;
}

/** Inputs of a reconcile loop. */
export interface ReconcileLoopOptions {
  /** Where the server's views arrive; each new view kicks a pass. */
  bus: HostStateBus;
  /** One pass over the whole desired state; a rejection is logged and retried with backoff. */
  pass: (state: HostState) => Promise<unknown>;
  logger: Logger;
  signal: AbortSignal;
  /** Time between passes when nothing kicks (default 5 s): repairs what others changed. */
  intervalMs?: number;
}

/**
 * Runs a controller: wait for a new host state, a kick or the timer, then one pass from the latest
 * view. Nothing runs before the server's first view, so a host that never receives one is left as
 * it is. A failed pass is retried sooner (with backoff) than the regular interval.
 */
export function startReconcileLoop(options: ReconcileLoopOptions): ReconcileLoop {
  const { bus, logger, signal } = options;
  const interval = options.intervalMs ?? 5_000;
  const backoff = new Backoff(500, interval);
  let wake: (() => void) | null = null;
  let kicked = false;
  const kick = () => {
    kicked = true;
    wake?.();
  };
  const unsubscribe = bus.subscribe(() => kick());
  const stopped = (async () => {
    let delay = interval;
    while (!signal.aborted) {
      if (!kicked) {
        const timer = new AbortController();
        wake = () => timer.abort();
        const stop = () => timer.abort();
        signal.addEventListener("abort", stop, { once: true });
        await sleep(delay, timer.signal);
        signal.removeEventListener("abort", stop);
        wake = null;
      }
      kicked = false;
      const state = bus.current;
      if (signal.aborted || !state) continue;
      try {
        await options.pass(state);
        backoff.reset();
        delay = interval;
      } catch (e) {
        delay = backoff.next();
        logger.error("pass failed", { error: e, retryMs: delay });
      }
    }
    unsubscribe();
  })();
  return { kick, stopped };
}
