import type { LaunchConfig, ServiceSpec, StackSpec } from "@corral/api";

/** Service states, as Rancher 1.6 named them. */
export type ServiceState =
  | "inactive"
  | "activating"
  | "active"
  | "upgrading"
  | "upgraded"
  | "finishing-upgrade"
  | "rolling-back"
  | "canceled-upgrade"
  | "restarting"
  | "deactivating"
  | "removing"
  | "removed";

/** Service health roll-up. */
export type ServiceHealth = "healthy" | "degraded" | "unhealthy" | "initializing" | "started-once";

/** An upgrade in progress or awaiting finish/rollback: what to go back to. */
export interface UpgradeRecord {
  previousVersion: string;
  previousLaunchConfig?: LaunchConfig;
  previousSecondaryLaunchConfigs: LaunchConfig[];
  batchSize: number;
  intervalMillis: number;
  startFirst: boolean;
}

/** Stored fields of a service: its spec plus what the orchestrator keeps. */
export interface ServiceFields extends Omit<ServiceSpec, "name"> {
  stackId: string;
  /** Launch config version; containers carry the version they were made from. */
  version: string;
  /** Next createIndex: never reused, so names `stack-service-N` never repeat. */
  nextCreateIndex: number;
  currentScale: number;
  healthState: ServiceHealth;
  upgrade?: UpgradeRecord;
  /** Why the last placement failed, host by host; empty when all units are placed. */
  schedulingMessage?: string;
  transitioningMessage?: string;
  /** Crash-loop guard: failed units in a row, and when the next replacement may be made. */
  failures?: number;
  retryAt?: number;
}

/** Stored fields of a stack. */
export interface StackFields {
  description?: string;
  dockerCompose: string;
  rancherCompose: string;
  environment: Record<string, string>;
  externalId?: string;
  startOnCreate: boolean;
  healthState: ServiceHealth;
  /**
   * An infrastructure stack (Rancher's `system` flag): its services keep the environment running,
   * so the role matrix guards it more closely than user stacks. No API verb sets it today.
   */
  system?: boolean;
  /** What the compose parser ignored or substituted in the current files (`file:line:col: ...`). */
  warnings?: string[];
  /** The top-level volumes of the current files (exportconfig writes them back). */
  volumes?: StackSpec["volumes"];
  /** Docker names of the stack's own volumes by their name in the files (services/stack-volumes.ts). */
  volumeNames?: Record<string, string>;
  /** Password answers of a catalog stack, sealed with the server's secret box (never shown). */
  secretAnswers?: Record<string, string>;
  /** A catalog stack: true when its catalog offers a version `upgrade_from` lets it go to. */
  upgradeAvailable?: boolean;
  /** Those versions, by version string, with the externalId to upgrade to. */
  upgradeVersions?: Record<string, string>;
  /** The compose files of the stack before an upgrade, for rollback. */
  previous?: {
    dockerCompose: string;
    rancherCompose: string;
    environment: Record<string, string>;
    externalId?: string;
    secretAnswers?: Record<string, string>;
    warnings?: string[];
    volumes?: StackSpec["volumes"];
  };
  transitioningMessage?: string;
}

/** Fields a container made by a service carries besides its own. */
export interface UnitMembership {
  serviceId: string;
  stackId: string;
  deploymentUnitUuid: string;
  createIndex: number;
  /** "" for the primary, the sidekick's name otherwise. */
  launchConfigName: string;
  serviceVersion: string;
  /** Host the unit was pinned to (global services). */
  startOnce: boolean;
}
