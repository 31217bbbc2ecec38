import { Backoff, createLogger, type Logger } from "@corral/lib";
import { nap } from "./changes.ts";

/** What the keeper needs of a running daemon (System Docker on CorralOS; a fake in tests). */
export interface Daemon {
  /** Settles with the exit code once the process is gone (Bun spawned it, so Bun reaps it). */
  exited: Promise<number>;
  stop(timeoutMs?: number): Promise<void>;
}

/** What PID 1 does around a restart. */
export interface KeeperHooks<D extends Daemon> {
  /** The daemon exited on its own; the services in it are gone with it. */
  lost(code: number): void;
  /** A new daemon answers: reconnect and reconcile. A failure here is logged, never fatal. */
  back(daemon: D): Promise<void> | void;
}

/** Tunables, small in tests. */
export interface KeeperOptions {
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A daemon that ran this long before exiting was healthy: the backoff starts afresh. */
  stableMs?: number;
  now?: () => number;
  log?: Logger;
}

/**
 * Keeps a daemon running for PID 1 (System Docker): notices when it exits, restarts it with
 * backoff (forever: without System Docker no system service runs, and PID 1 has nothing better to
 * do), and tells the hooks so the supervisor can hold its services and then reconcile them. Only
 * the first start may fail the boot; `stop` (the shutdown) ends the watch first, so a stopped
 * daemon is not brought back.
 */
export class DaemonKeeper<D extends Daemon> {
  /** The daemon running now (or the last one, while a restart is under way). */
  current: D | undefined;
  /** How often it was brought back. */
  restarts = 0;
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    private readonly start: () => Promise<D>,
    private readonly hooks: KeeperHooks<D>,
    private readonly options: KeeperOptions = {},
  ) {
    this.backoff = new Backoff(options.backoffBaseMs ?? 1000, options.backoffMaxMs ?? 30_000);
    this.log = options.log ?? createLogger("daemon");
    this.now = options.now ?? Date.now;
  }

  /** Starts the daemon the first time; its failure is the caller's (the boot phase fails). */
  async begin(): Promise<D> {
    const daemon = await this.start();
    this.watch(daemon);
    return daemon;
  }

  /** Stops watching, then stops the daemon: nothing restarts it after this. */
  async stop(timeoutMs?: number): Promise<void> {
    this.stopping.abort();
    await this.current?.stop(timeoutMs);
  }

  private watch(daemon: D): void {
    this.current = daemon;
    const startedAt = this.now();
    void daemon.exited.then((code) => this.restart(code, startedAt));
  }

  private async restart(code: number, startedAt: number): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.log.error("daemon exited; restarting it", { code });
    this.hooks.lost(code);
    if (this.now() - startedAt >= (this.options.stableMs ?? 60_000)) this.backoff.reset();
    while (!this.stopping.signal.aborted) {
      await nap(this.backoff.next(), [this.stopping.signal]);
      if (this.stopping.signal.aborted) return;
      let daemon: D;
      try {
        daemon = await this.start();
      } catch (e) {
        this.log.error("daemon did not start again", { error: e instanceof Error ? e.message : e });
        continue;
      }
      if (this.stopping.signal.aborted) {
        await daemon.stop();
        return;
      }
      this.restarts++;
      this.watch(daemon);
      this.log.info("daemon is back", { restarts: this.restarts });
      try {
        await this.hooks.back(daemon);
      } catch (e) {
        this.log.error("reconnecting after a restart failed", { error: e instanceof Error ? e.message : e });
      }
      return;
    }
  }
}
