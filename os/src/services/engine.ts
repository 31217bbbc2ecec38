import type Docker from "dockerode";

/** What the supervisor knows of one container. */
export interface ContainerState {
  running: boolean;
  /** The hash label of the options it was created from (container-spec.ts). */
  hash: string | undefined;
}

/** How a command run in a container ended: its exit code and the tail of its output. */
export interface ExecResult {
  code: number;
  output: string;
}

/**
 * The part of System Docker the supervisor uses, behind an interface so the supervisor is tested
 * against a fake and against a real dockerd (dockerode-engine.ts).
 */
export interface Engine {
  inspect(name: string): Promise<ContainerState | null>;
  create(options: Docker.ContainerCreateOptions): Promise<void>;
  start(name: string): Promise<void>;
  /**
   * Resolves with the exit code when the container is (or already was) not running; rejects when
   * `signal` aborts. A dockerd killed outright may leave the request hanging, never failing, so
   * the supervisor aborts it when PID 1 sees System Docker exit.
   */
  wait(name: string, signal?: AbortSignal): Promise<number>;
  /** Runs `cmd` in the running container (a health check); gives up after `timeoutMs`. */
  exec(name: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult>;
  stop(name: string, timeoutSeconds: number): Promise<void>;
  remove(name: string): Promise<void>;
  /** Names of every container carrying the service label, for removing ones no longer wanted. */
  listServiceContainers(): Promise<string[]>;
}
