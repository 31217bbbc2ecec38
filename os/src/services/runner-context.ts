import type { Logger } from "@corral/lib";
import type Docker from "dockerode";
import type { Changes } from "./changes.ts";
import type { GuardOptions } from "./crash-guard.ts";
import type { Engine } from "./engine.ts";
import type { HealthCheck, HealthProbe } from "./health-check.ts";
import type { ServiceRunner } from "./service-runner.ts";
import type { ServiceSpec } from "./service-schema.ts";

/** What a runner needs from its supervisor. */
export interface RunnerContext {
  engine: Engine;
  log: Logger;
  guard: GuardOptions;
  probe: HealthProbe;
  /** Resolves once an image is in the engine (boot loads shipped images in the background). */
  imageReady(image: string): Promise<void>;
  /** Told of every status change; dependents and reconciles wait on it. */
  changes: Changes;
  /** The runner in charge of a wanted service, by name. */
  peer(name: string): ServiceRunner | undefined;
  /** False between System Docker's exit and its return: failures then are not the service's. */
  engineUp(): boolean;
  /** Called once, when the service first becomes ready. */
  ready(name: string): void;
}

/** One service's container, created from these options; `key` changes when either changes. */
export interface RunnerPlan {
  spec: ServiceSpec;
  options: Docker.ContainerCreateOptions;
  health: HealthCheck | undefined;
  key: string;
}
