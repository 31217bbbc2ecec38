import type { HealthCheck } from "@corral/api";
import type { Clock } from "@corral/lib";
import { HealthStateMachine, type HealthStatus } from "./health-state.ts";
import type { Probe, ProbeResult } from "./probe.ts";

/** What a checker needs: the container, its check, and where results and changes go. */
export interface CheckerOptions {
  /** Where to probe; undefined when the container has no address (every probe then fails). */
  address: string | undefined;
  check: HealthCheck;
  /** The initializing timeout of this run: the check's, or its reinitializing one after a restart. */
  initializingTimeout: number;
  probe: Probe;
  clock: Clock;
  /** Called with every state change, the first `initializing` included. */
  report: (status: HealthStatus) => void;
  /**
   * Asked before each change after the first is reported: is the run being checked still the
   * container's current one? A probe fails when its container dies under it, and Docker's event
   * saying so may come later. On false the change is dropped and the checker stops: a death is
   * reported by its own event, not as a health failure. Without it every change is reported.
   */
  confirm?: () => Promise<boolean>;
}

/**
 * Checks one run of one container: probes every `interval` ms on a single timer and feeds a
 * HealthStateMachine. A probe never overlaps the previous one: the next is scheduled when one
 * ends, `interval` after the previous start (at once when the probe took longer). The initializing
 * timeout is checked at each tick, so it is noticed within one interval of passing.
 */
export class Checker {
  private readonly machine: HealthStateMachine;
  private timer: unknown;
  private stopped = false;

  constructor(private readonly options: CheckerOptions) {
    this.machine = new HealthStateMachine(options.check, options.clock.now(), options.initializingTimeout);
  }

  /** The current state, for re-reporting after a reconnect. */
  get current(): HealthStatus {
    return this.machine.current;
  }

  /** Reports `initializing` and runs the first probe at once. */
  start(): void {
    this.options.report(this.machine.current);
    this.schedule(0);
  }

  /** Stops probing; a probe in flight finishes but its result is dropped. Reports nothing. */
  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
  }

  /** Reports a change once `confirm` agrees (stopping when it does not); false when it was dropped. */
  private async reportConfirmed(status: HealthStatus): Promise<boolean> {
    const confirmed = this.options.confirm ? await this.options.confirm() : true;
    if (!confirmed) this.stop();
    if (this.stopped) return false;
    this.options.report(status);
    return true;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    const { clock, check, address, probe } = this.options;
    const startedAt = clock.now();
    const expired = this.machine.expire(startedAt);
    if (expired && !(await this.reportConfirmed(expired))) return;
    let result: ProbeResult;
    if (!address) result = { ok: false, reason: "container has no IP address" };
    else {
      const target = { address, port: check.port, responseTimeout: check.responseTimeout };
      result = await probe(check.requestLine ? { ...target, requestLine: check.requestLine } : target).catch(
        (e: unknown) => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }),
      );
    }
    if (this.stopped) return;
    const changed = this.machine.record(result.ok, clock.now(), result.reason);
    if (changed && !(await this.reportConfirmed(changed))) return;
    this.schedule(Math.max(0, startedAt + check.interval - clock.now()));
  }
}
