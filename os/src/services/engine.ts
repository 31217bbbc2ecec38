import type Docker from "dockerode";

/** What the supervisor knows of one container. */
export interface ContainerState {
  id: string;
  running: boolean;
  exitCode: number;
  hash: string | undefined;
}

/**
 * The part of System Docker the supervisor uses, behind an interface so the supervisor is tested
 * against a fake and against a real dockerd (dockerode-engine.ts).
 */
export interface Engine {
  inspect(name: string): Promise<ContainerState | null>;
  create(options: Docker.ContainerCreateOptions): Promise<void>;
  start(name: string): Promise<void>;
  /** Resolves with the exit code when the container is (or already was) not running. */
  wait(name: string): Promise<number>;
  stop(name: string, timeoutSeconds: number): Promise<void>;
  remove(name: string): Promise<void>;
  /** Names of every container carrying the service label, for removing ones no longer wanted. */
  listServiceContainers(): Promise<string[]>;
}
