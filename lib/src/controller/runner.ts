import { type ControllerStatus, maxControllerMessage } from "@corral/api";
import { AppError } from "../app-error.ts";
import { Backoff } from "../backoff.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Controller, RetryPolicy } from "./controller.ts";
import type { HostStatus } from "./host-status.ts";

/** What a runner needs around the controller. */
export interface RunnerOptions {
  /** The runner logs under `<logger>.<controller name>`. */
  logger: Logger;
  /** Stops the controller: no reconcile starts after it aborts, and the running one is told. */
  signal: AbortSignal;
  /** The host status record the controller's entry goes to. */
  status?: HostStatus;
  /** Clock to use instead of the real one (tests). */
  clock?: Clock;
  /** Jitter of the retry delays, Math.random by default (tests make the delays exact). */
  random?: () => number;
}

/** A running controller. */
export interface ControllerHandle {
  readonly name: string;
  /** Asks for a reconcile as soon as possible; kicks while one runs coalesce into one more. */
  kick(): void;
  /** Kicks, then resolves when a reconcile started after the kick has ended, well or not (or on stop). */
  sync(): Promise<void>;
  /** Resolves once stopped: the last reconcile ended, inputs are unwatched and `close` ran. */
  readonly stopped: Promise<void>;
}

const defaultRetry: RetryPolicy = { baseMs: 500, maxMs: 10_000 };

/** The message of a thrown value, cut to what a status carries. */
function messageOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.slice(0, maxControllerMessage);
}

/**
 * Runs one controller until `signal` aborts: a reconcile at start, then one whenever an input
 * kicks, `intervalMs` after the last one ended (when the controller has an interval), or after a
 * failure, with exponential backoff capped at `retry.maxMs`. Reconciles never overlap; kicks that
 * arrive during one coalesce into exactly one more. A kick does not wait out a retry delay: new
 * input may be what fixes the failure, and inputs kick no more often than they would when all is
 * well. Each reconcile's outcome is written to the host status record.
 */
export function startController(controller: Controller, options: RunnerOptions): ControllerHandle {
  const { signal } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child(controller.name);
  const retry = controller.retry ?? defaultRetry;
  const backoff = new Backoff(retry.baseMs, retry.maxMs, options.random);
  const stopped = Promise.withResolvers<void>();
  let status: ControllerStatus = {
    state: "waiting",
    message: "not reconciled yet",
    lastReconcile: null,
    failures: 0,
  };
  let timer: unknown = null;
  let running = false;
  /** Kicked since the running reconcile started. */
  let dirty = false;
  /** Kicks so far, and how many of them the last ended reconcile covered (for `sync`). */
  let kicks = 0;
  let covered = 0;
  let waiters: { kick: number; resolve: () => void }[] = [];
  let stopping = false;
  let finished = false;

  const record = (next: ControllerStatus) => {
    status = next;
    options.status?.set(controller.name, next);
  };

  const schedule = (ms: number) => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = null;
      void pass();
    }, ms);
  };

  const kick = () => {
    if (stopping) return;
    kicks++;
    dirty = true;
    // A timer of 0 rather than a call: kicks in one burst (a view and an event together) make one pass.
    if (!running) schedule(0);
  };

  const release = () => {
    const ready = waiters.filter((w) => stopping || w.kick <= covered);
    waiters = waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  };

  const pass = async () => {
    if (running || stopping) return;
    running = true;
    dirty = false;
    const covers = kicks;
    let retryMs: number | null = null;
    try {
      // Through a promise, so a controller that throws before its first await is retried the same way.
      const result = await Promise.resolve().then(() => controller.reconcile(signal));
      if (status.failures > 0) logger.info("reconciled again", { failures: status.failures });
      backoff.reset();
      record({
        state: result?.state ?? "ready",
        ...(result?.message && { message: result.message.slice(0, maxControllerMessage) }),
        lastReconcile: new Date(clock.now()).toISOString(),
        failures: 0,
      });
    } catch (e) {
      // A reconcile cut short because the agent stops is no failure.
      if (!stopping) {
        retryMs = backoff.next();
        const message = messageOf(e);
        const failures = status.failures + 1;
        // The first failure and each new reason are worth a warning; the same one again is not.
        const fields = { error: message, failures, retryMs };
        if (failures === 1 || message !== status.message) logger.warn("reconcile failed", fields);
        else logger.debug("reconcile failed", fields);
        record({ state: "failing", message, lastReconcile: new Date(clock.now()).toISOString(), failures });
      }
    }
    running = false;
    covered = covers;
    release();
    if (stopping) return void finish();
    if (dirty) schedule(0);
    else if (retryMs !== null) schedule(retryMs);
    else if (controller.intervalMs !== undefined) schedule(controller.intervalMs);
  };

  const unwatch = controller.inputs.map((input) => input.watch(kick));

  const finish = async () => {
    if (finished) return;
    finished = true;
    for (const stop of unwatch) stop();
    try {
      await controller.close?.();
    } catch (e) {
      logger.warn("close failed", { error: messageOf(e) });
    }
    record({ ...status, state: "stopped" });
    release();
    stopped.resolve();
  };

  const stop = () => {
    stopping = true;
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    if (!running) void finish();
  };

  record(status);
  if (signal.aborted) stop();
  else {
    signal.addEventListener("abort", stop, { once: true });
    kick();
  }

  return {
    name: controller.name,
    kick,
    sync() {
      if (stopping) return Promise.resolve();
      kick();
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ kick: kicks, resolve });
      return promise;
    },
    stopped: stopped.promise,
  };
}

/** Controllers started together. */
export interface ControllerSet {
  /** The handle of the controller with this name. */
  get(name: string): ControllerHandle | undefined;
  /** Resolves when every controller stopped. */
  readonly stopped: Promise<void>;
}

/** Starts every controller with the same options; names must be unique (each owns one status entry). */
export function startControllers(controllers: readonly Controller[], options: RunnerOptions): ControllerSet {
  const names = new Set<string>();
  for (const { name } of controllers) {
    if (names.has(name)) throw new AppError("NotUnique", `two controllers are named ${name}`);
    names.add(name);
  }
  const handles = new Map(controllers.map((c) => [c.name, startController(c, options)]));
  return {
    get: (name) => handles.get(name),
    stopped: Promise.all([...handles.values()].map((h) => h.stopped)).then(() => undefined),
  };
}
