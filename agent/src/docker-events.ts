import { Backoff, type Logger, sleep } from "@corral/lib";
import type { DockerDriver, EngineEvent } from "./driver.ts";

/** Options of DockerEvents. */
export interface DockerEventsOptions {
  driver: Pick<DockerDriver, "events">;
  logger: Logger;
  /** Delays before reopening a broken stream (default 250 ms doubling to 5 s). */
  retry?: { baseMs: number; maxMs: number };
}

/** A stream that lived this long was healthy: the next break starts the backoff over. */
const healthyStreamMs = 30_000;

/**
 * The agent's one Docker event stream, fanned out: the relay to the server, the health monitor and
 * the controllers' inputs each subscribe, and each sees every event about a managed container in
 * Docker's order, from a single dockerode stream. A stream that breaks (dockerd restarting) is
 * opened again with backoff. Every (re)opening is announced to `onOpen` listeners first: events may
 * have been missed while no stream was open, so whoever follows them must look again.
 */
export class DockerEvents {
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly openListeners = new Set<() => void>();

  constructor(private readonly options: DockerEventsOptions) {}

  /** Adds a listener of every event; returns the function that removes it. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a listener called each time the stream is (re)opened; returns its remover. */
  onOpen(listener: () => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  /** Follows Docker's events until `signal` aborts, reopening the stream whenever it ends. */
  async run(signal: AbortSignal): Promise<void> {
    const { driver, logger } = this.options;
    const backoff = new Backoff(this.options.retry?.baseMs ?? 250, this.options.retry?.maxMs ?? 5_000);
    while (!signal.aborted) {
      const started = Date.now();
      for (const listener of [...this.openListeners]) this.call(listener);
      try {
        await driver.events((event) => this.emit(event), signal);
      } catch (e) {
        logger.warn("docker event stream failed", { error: e });
      }
      if (signal.aborted) break;
      if (Date.now() - started > healthyStreamMs) backoff.reset();
      await sleep(backoff.next(), signal);
    }
  }

  private emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) this.call(() => listener(event));
  }

  /** Runs one listener; one that throws must not cost the others their events. */
  private call(listener: () => void): void {
    try {
      listener();
    } catch (e) {
      this.options.logger.error("docker event listener failed", { error: e });
    }
  }
}
