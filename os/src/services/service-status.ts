/**
 * Where one service stands, as `corral service list` shows it:
 * - `waiting`: for a service it comes after, or for System Docker to come back;
 * - `starting`: being created and started, or started and not yet healthy;
 * - `running`, `completed` (a one-shot exited 0), `created` (create_only);
 * - `exited`: stopped by its own choice under `restart: no|on-failure`;
 * - `backoff`: failed to start or exited, retried after a delay;
 * - `crash-loop`: failed too often in a short time, held off for the cooldown, then retried;
 * - `failed`: exited non-zero and its policy says not to restart; `corral service up` runs it again;
 * - `blocked`: comes after a service that failed;
 * - `stopped`: by a reconcile or the shutdown.
 */
export type ServiceState =
  | "waiting"
  | "starting"
  | "running"
  | "completed"
  | "created"
  | "exited"
  | "backoff"
  | "crash-loop"
  | "failed"
  | "blocked"
  | "stopped";

/** The health of a service that declares a check: `starting` until its first pass. */
export type HealthState = "starting" | "healthy" | "unhealthy";

/** Status of one supervised service. */
export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** Attempts after a failure (start error or exit) since PID 1 started it. */
  restarts: number;
  lastExitCode?: number;
  /** Only for services with a `health:` check. */
  health?: HealthState;
  /** Why it is not simply up: the last failure, or what it waits for. */
  error?: string;
}

/** One line for people: `running, healthy (2 restarts): ...`. */
export function describeStatus(s: ServiceStatus): string {
  const health = s.health && s.state !== "stopped" ? `, ${s.health}` : "";
  const restarts = s.restarts ? ` (${s.restarts} restart${s.restarts === 1 ? "" : "s"})` : "";
  return `${s.state}${health}${restarts}${s.error ? `: ${s.error}` : ""}`;
}
