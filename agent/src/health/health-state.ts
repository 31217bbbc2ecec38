import type { healthStates } from "@corral/api";

/** A container's health as the agent reports it. */
export type HealthState = (typeof healthStates)[number];

/** A state the machine moved to, with why when that helps an operator. */
export interface HealthStatus {
  state: HealthState;
  reason?: string;
}

/** The thresholds the machine needs (a HealthCheck has them, with the rest of its fields). */
export interface Thresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/**
 * The health of one run of one container, from its probe results. It starts `initializing`;
 * `healthyThreshold` passes in a row make it `healthy`; from `healthy`, `unhealthyThreshold`
 * failures in a row make it `unhealthy`, and `healthyThreshold` passes bring it back. Failures while
 * initializing do not count: a starting service is given until `initializingTimeout` (ms, 0 = no
 * limit) to pass, after which it is `unhealthy` with reason "initializing timeout". A restarted
 * container gets a new machine. Pure: time comes in as arguments, so tests need no clock.
 */
export class HealthStateMachine {
  private status: HealthStatus = { state: "initializing" };
  private passes = 0;
  private failures = 0;
  private readonly deadline: number | undefined;

  constructor(
    private readonly thresholds: Thresholds,
    startedAt: number,
    initializingTimeout: number,
  ) {
    this.deadline = initializingTimeout > 0 ? startedAt + initializingTimeout : undefined;
  }

  /** The current state and its reason. */
  get current(): HealthStatus {
    return { ...this.status };
  }

  /** Records one probe result; returns the new status when the state changed, else null. */
  record(pass: boolean, now: number, reason?: string): HealthStatus | null {
    const { state } = this.status;
    if (pass) {
      this.passes++;
      this.failures = 0;
      if (state !== "healthy" && this.passes >= this.thresholds.healthyThreshold)
        return this.move({ state: "healthy" });
    } else {
      this.failures++;
      this.passes = 0;
      if (state === "healthy" && this.failures >= this.thresholds.unhealthyThreshold)
        return this.move(reason ? { state: "unhealthy", reason } : { state: "unhealthy" });
    }
    return this.expire(now);
  }

  /** Moves an initializing container past its deadline to unhealthy; returns the change or null. */
  expire(now: number): HealthStatus | null {
    if (this.status.state !== "initializing" || this.deadline === undefined || now < this.deadline)
      return null;
    return this.move({ state: "unhealthy", reason: "initializing timeout" });
  }

  private move(status: HealthStatus): HealthStatus {
    this.status = status;
    return { ...status };
  }
}
