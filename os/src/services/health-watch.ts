import { nap } from "./changes.ts";
import type { HealthCheck, HealthProbe } from "./health-check.ts";

/** What one probe found, as the runner records it. */
export interface HealthReport {
  /** The probe passed. */
  pass(): void;
  /** It failed `retries` times in a row, counted once `start_period` is over (or after a pass). */
  unhealthy(error: string): void;
  /** It failed, not (yet) counted as unhealthy. */
  failed(error: string, passedBefore: boolean): void;
}

/**
 * Probes one run of a service until `signal` aborts (the container exited, or the runner stops):
 * every `start_interval` until the first pass or the end of `start_period`, every `interval` after.
 */
export async function watchHealth(
  service: string,
  check: HealthCheck,
  probe: HealthProbe,
  now: () => number,
  report: HealthReport,
  signal: AbortSignal,
): Promise<void> {
  const began = now();
  let passed = false;
  let failures = 0;
  while (!signal.aborted) {
    let error: string | undefined;
    try {
      await probe(service, check, signal);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (signal.aborted) return;
    const counting = passed || now() - began >= check.start_period;
    if (error === undefined) {
      passed = true;
      failures = 0;
      report.pass();
    } else if (counting && ++failures >= check.retries) {
      report.unhealthy(error);
    } else {
      report.failed(error, passed);
    }
    await nap(counting ? check.interval : check.start_interval, [signal]);
  }
}
