/**
 * Something a controller watches. `watch` calls `kick` whenever the input changed in a way that
 * needs a reconcile, and returns the function that stops watching. Inputs carry no data: the
 * controller reads the latest state of what it watches when it reconciles, so any number of
 * changes between two reconciles cost one.
 */
export interface ControllerInput {
  /** What is watched, for logs ("host state", "docker events"). */
  readonly name: string;
  watch(kick: () => void): () => void;
}

/** What a reconcile that did not throw found. */
export interface ReconcileResult {
  /**
   * `ready` (the default): everything is applied. `waiting`: there is nothing to work from yet
   * (no view from the server). `degraded`: applied what could be, and part of what the controller
   * owns does not work (a config HAProxy refused, tunnels that are not up). A reconcile that could
   * not apply something it should retry throws instead.
   */
  state?: "ready" | "waiting" | "degraded";
  /** A short line for operators: what is in force, or what is wrong. */
  message?: string;
}

/** Delays between retries of a failing reconcile: from `baseMs`, doubling, at most `maxMs`. */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * One host concern (network, ports, dns, ...): it owns one piece of host state and brings it in
 * line with its inputs. `reconcile` computes the whole desired state from the inputs' latest state
 * and applies it; it throws when it could not, and the runner tries again with backoff. The runner
 * never runs two reconciles of one controller at once, so a controller needs no locking of its own.
 */
export interface Controller {
  /** Unique on a host; the key of its entry in the host status record. */
  readonly name: string;
  readonly inputs: readonly ControllerInput[];
  /** One pass over the whole desired state. `signal` aborts when the agent stops. */
  reconcile(signal: AbortSignal): Promise<ReconcileResult | undefined>;
  /**
   * Time between reconciles when nothing kicks, to repair what others changed (a chain flushed by
   * hand, a bridge address Docker dropped). Absent: only inputs and retries start a reconcile.
   */
  readonly intervalMs?: number;
  /** Retry delays after a failure (default 500 ms doubling to 10 s). */
  readonly retry?: RetryPolicy;
  /** Releases what the controller holds (sockets, checkers) once it runs no more. */
  close?(): Promise<void> | void;
}
