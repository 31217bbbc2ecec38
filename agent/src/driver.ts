import type { ContainerObservation, ContainerStats, InstanceSpec, PullAuth, TerminalSize } from "@corral/api";
import type { TarEntry } from "./lb/tar.ts";

/** One sample of a container's resource usage: the reply to `instance.stats`, defined in the protocol. */
export type { ContainerStats } from "@corral/api";

/**
 * The agent's view of a container engine. Event handling and the session talk only to this
 * interface, so they are tested against a fake and the dockerode implementation is tested against
 * the real dockerd. Every method that takes a `dockerId` fails with AppError NotFound when Docker
 * does not know the container.
 */
export interface DockerDriver {
  /** The engine's version string, e.g. "28.2.2". */
  version(): Promise<string>;
  /** Every container carrying the Corral container-id label, stopped ones included. */
  list(): Promise<ContainerObservation[]>;
  /** The container with this Docker id, or else the one labelled with this Corral id; null when neither. */
  find(ref: ContainerRef): Promise<ContainerObservation | null>;
  /** True when the image is present locally. */
  hasImage(image: string): Promise<boolean>;
  /**
   * Pulls an image, reporting progress lines; resolves when the pull completed. `auth` is the
   * registry's credentials for this one pull (Docker's auth config), when the server sent any.
   */
  pullImage(image: string, onProgress: (message: string) => void, auth?: PullAuth): Promise<void>;
  /** Creates (does not start) a container for `spec`, labelled for `hostId`. */
  create(spec: InstanceSpec, hostId: string): Promise<ContainerObservation>;
  /** Starts a container; starting a running one is a success. */
  start(dockerId: string): Promise<void>;
  /** Stops a container; stopping a stopped one is a success. */
  stop(dockerId: string, timeoutSec?: number): Promise<void>;
  /** Restarts a container. */
  restart(dockerId: string, timeoutSec?: number): Promise<void>;
  /** Removes a container (forced) with its anonymous volumes; an absent one is a success. */
  remove(dockerId: string): Promise<void>;
  /** The observation of one container. */
  inspect(dockerId: string): Promise<ContainerObservation>;
  /** One sample of resource usage. */
  stats(dockerId: string): Promise<ContainerStats>;
  /** Streams a container's log as plain text chunks until the log ends or `signal` aborts. */
  logs(
    dockerId: string,
    options: LogOptions,
    onData: (chunk: Uint8Array) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Writes files into a container under the folder `dir` (which must exist), creating subfolders. */
  writeFiles(dockerId: string, dir: string, files: TarEntry[]): Promise<void>;
  /** Runs a command in a container; output goes to `onData` as plain text chunks. */
  exec(dockerId: string, options: ExecOptions, onData: (chunk: Uint8Array) => void): Promise<ExecHandle>;
  /** Creates a named volume (an existing one of that name is kept as it is). */
  createVolume(name: string, driver: string, driverOpts: Record<string, string>): Promise<void>;
  /** Removes a named volume; an absent one is a success, one in use fails with Conflict. */
  removeVolume(name: string): Promise<void>;
  /** Follows engine events about managed containers until the stream ends or `signal` aborts. */
  events(onEvent: (event: EngineEvent) => void, signal: AbortSignal): Promise<void>;
  /** Every managed container that carries a health check label, stopped ones included. */
  checkTargets(): Promise<CheckTarget[]>;
  /** One container as a health check target; null when it is gone or has no health check label. */
  checkTarget(dockerId: string): Promise<CheckTarget | null>;
}

/** A managed container with a health check, as the health monitor needs to see it. */
export interface CheckTarget {
  /** The Corral container id (label `io.corral.container.id`). */
  containerId: string;
  /** Docker's id. */
  dockerId: string;
  /** True while the container runs (paused included: a paused container fails its checks). */
  running: boolean;
  /** When the current run started; a new value means the container was restarted. */
  startedAt?: string;
  /**
   * Where to probe: the first network IP; 127.0.0.1 with host networking; the other container's
   * address when it joined another container's network. Undefined when there is none.
   */
  address?: string;
  /** The raw text of the health check label (JSON of a HealthCheck, unvalidated). */
  healthCheck: string;
}

/** How an event names a container: the Corral id always, the Docker id when the server knows it. */
export interface ContainerRef {
  /** The Corral container id (label `io.corral.container.id`). */
  containerId: string;
  /** Docker's id, when known (null or absent otherwise); preferred over the label. */
  dockerId?: string | null;
}

/** Options of a log stream. */
export interface LogOptions {
  /** Keep streaming new output. */
  follow: boolean;
  /** Number of lines from the end to start with; undefined for all. */
  lines?: number;
  /** Prefix each line with Docker's timestamp. */
  timestamps: boolean;
  /** Unix seconds: only output after this time. */
  since?: number;
}

/** Options of an exec. */
export interface ExecOptions {
  /** The argument list to run. */
  command: string[];
  /** Allocate a terminal (output is then not multiplexed). */
  tty: boolean;
  /** Keep stdin open for `write`. */
  attachStdin: boolean;
}

/** A running exec. */
export interface ExecHandle {
  /** Writes bytes to the process's stdin (ignored when stdin is not attached). */
  write(data: Uint8Array): void;
  /** Sets the size of the exec's terminal (ignored without one); a failure is logged, not thrown. */
  resize(size: TerminalSize): void;
  /** Ends stdin when attached, else detaches from the output. */
  close(): void;
  /** Resolves with the exit code once the output ended (undefined when it could not be read). */
  done: Promise<number | undefined>;
}

/** A Docker event about a managed container. */
export interface EngineEvent {
  /** Docker's action, e.g. "start", "die", "health_status: healthy". */
  action: string;
  /** Corral container id from the label. */
  containerId: string;
  /** Docker's container id. */
  dockerId: string;
}
