import { type AgentFrame, type HealthCheck, healthCheckSchema } from "@corral/api";
import { type Clock, KeyedQueue, type Logger, systemClock } from "@corral/lib";
import type { CheckTarget, DockerDriver, EngineEvent } from "../driver.ts";
import { Checker } from "./checker.ts";
import type { HealthStatus } from "./health-state.ts";
import { createNetworkProbe, type Probe } from "./probe.ts";

/** What the monitor needs around it. */
export interface HealthMonitorOptions {
  driver: Pick<DockerDriver, "checkTargets" | "checkTarget">;
  /** Sends one frame to the server (a no-op while disconnected: `resend` catches up on reconnect). */
  send: (frame: AgentFrame) => void;
  logger: Logger;
  /** Probe to use instead of real sockets (tests). */
  probe?: Probe;
  /** Clock to use instead of the real one (tests). */
  clock?: Clock;
  /** Most probe sockets open at once across all containers (default 500). */
  maxSockets?: number;
}

/** One checked run of one container. */
interface Checked {
  containerId: string;
  startedAt: string | undefined;
  checker: Checker;
}

/** Parses a health check label; null (and a warning) when it is not a valid check. */
function parseCheck(text: string, logger: Logger, containerId: string): HealthCheck | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = healthCheckSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  logger.warn("ignored invalid health check label", { containerId });
  return null;
}

/**
 * Runs the health checks of every managed container that carries the health check label, while it
 * runs. Containers are found from the driver's list (`sync`, at start and whenever the Docker
 * event stream is (re)opened) and from Docker events (`onEngineEvent`: start begins or restarts a
 * check, die and destroy end it without a report) and `track` after instance.create. Work on one
 * container is serialised so events apply in Docker's order. Every state change is sent as a
 * `healthEvent`, once Docker confirms the checked run is still the running one (see stillCurrent);
 * `resend` repeats the current state of all of them for a new session.
 */
export class HealthMonitor {
  private readonly checked = new Map<string, Checked>();
  /** Containers checked before in this agent's life: their next run is a restart. */
  private readonly seen = new Set<string>();
  private readonly queue = new KeyedQueue();
  /** Events seen per container, so a slow `sync` does not undo what a newer event did. */
  private readonly epochs = new Map<string, number>();
  private readonly probe: Probe;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: HealthMonitorOptions) {
    this.probe = options.probe ?? createNetworkProbe(options.maxSockets ?? 500);
    this.clock = options.clock ?? systemClock;
  }

  /** Docker ids of the containers being checked now. */
  get checking(): string[] {
    return [...this.checked.keys()];
  }

  /**
   * Lists every labelled container and starts or stops checks to match. Rejects when Docker cannot
   * list them (the health controller then tries again with backoff).
   */
  async sync(): Promise<void> {
    const epochs = new Map(this.epochs);
    const targets = await this.options.driver.checkTargets();
    const present = new Set(targets.map((t) => t.dockerId));
    const work = targets.map((target) =>
      this.queue.run(target.dockerId, async () => {
        if (this.epochs.get(target.dockerId) === epochs.get(target.dockerId)) this.apply(target);
      }),
    );
    for (const dockerId of this.checked.keys()) {
      if (!present.has(dockerId)) work.push(this.queue.run(dockerId, async () => this.end(dockerId)));
    }
    await Promise.all(work);
  }

  /** Follows one Docker event about a managed container. */
  onEngineEvent(event: EngineEvent): void {
    const { action, dockerId } = event;
    if (action !== "start" && action !== "die" && action !== "destroy") return;
    this.epochs.set(dockerId, (this.epochs.get(dockerId) ?? 0) + 1);
    void this.queue.run(dockerId, async () => {
      if (action === "start") return this.refresh(dockerId);
      this.end(dockerId);
      if (action === "destroy") {
        this.seen.delete(dockerId);
        this.epochs.delete(dockerId);
      }
    });
  }

  /** Looks at one container again (after instance.create made or started it). */
  track(dockerId: string): Promise<void> {
    return this.queue.run(dockerId, () => this.refresh(dockerId));
  }

  /** Sends the current state of every checked container (a new session needs it). */
  resend(): void {
    for (const entry of this.checked.values()) this.report(entry.containerId, entry.checker.current);
  }

  /** Stops every check, for good. */
  close(): void {
    this.closed = true;
    for (const dockerId of [...this.checked.keys()]) this.end(dockerId);
  }

  private async refresh(dockerId: string): Promise<void> {
    try {
      const target = await this.options.driver.checkTarget(dockerId);
      if (target) this.apply(target);
      else this.end(dockerId);
    } catch (e) {
      this.options.logger.warn("cannot inspect container for health checks", { dockerId, error: e });
    }
  }

  /** Makes the checks match one observed container: a check for each run while it runs. */
  private apply(target: CheckTarget): void {
    const { dockerId } = target;
    const check = target.running
      ? parseCheck(target.healthCheck, this.options.logger, target.containerId)
      : null;
    const current = this.checked.get(dockerId);
    if (!check || this.closed) {
      this.end(dockerId);
      return;
    }
    // The same run seen again (an event and a list both found it): keep its check and its counts.
    if (current && current.startedAt === target.startedAt) return;
    this.end(dockerId);
    const restarted = this.seen.has(dockerId);
    this.seen.add(dockerId);
    const initializingTimeout =
      restarted && check.reinitializingTimeout !== undefined
        ? check.reinitializingTimeout
        : check.initializingTimeout;
    const checker: Checker = new Checker({
      address: target.address,
      check,
      initializingTimeout,
      probe: this.probe,
      clock: this.clock,
      report: (status) => this.report(target.containerId, status),
      confirm: () => this.stillCurrent(dockerId, checker),
    });
    this.checked.set(dockerId, { containerId: target.containerId, startedAt: target.startedAt, checker });
    checker.start();
  }

  /**
   * Whether `checker` still checks the run Docker says is current, asked before it reports a change.
   * A probe in flight when its container died fails, and so do the probes until Docker's die event
   * arrives; a restarted container answers the old run's probes. Neither is a health change of a
   * running container: the death and the new run come with their own events. Asked in the
   * container's queue, so every event handled before it counts. When Docker cannot answer, the
   * probe's result stands.
   */
  private stillCurrent(dockerId: string, checker: Checker): Promise<boolean> {
    return this.queue.run(dockerId, async () => {
      const entry = this.checked.get(dockerId);
      if (entry?.checker !== checker) return false;
      let target: CheckTarget | null;
      try {
        target = await this.options.driver.checkTarget(dockerId);
      } catch (e) {
        this.options.logger.debug("cannot inspect container to confirm its health", { dockerId, error: e });
        return true;
      }
      if (target?.running && target.startedAt === entry.startedAt) return true;
      this.end(dockerId);
      return false;
    });
  }

  private end(dockerId: string): void {
    this.checked.get(dockerId)?.checker.stop();
    this.checked.delete(dockerId);
  }

  private report(containerId: string, status: HealthStatus): void {
    const frame: AgentFrame = { type: "healthEvent", containerId, healthState: status.state };
    this.options.send(status.reason ? { ...frame, reason: status.reason.slice(0, 1024) } : frame);
  }
}
