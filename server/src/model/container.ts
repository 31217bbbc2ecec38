import type { LaunchRowFields } from "./launch-fields.ts";

/** Stored fields of a container: its launch config fields (see model/launch-fields.ts) and its state. */
export interface ContainerFields extends ContainerNetworkFields, LaunchRowFields {
  description?: string;
  requestedHostId?: string;
  hostId: string | null;
  startOnCreate: boolean;
  externalId: string | null;
  primaryIpAddress: string | null;
  exitCode: number | null;
  startCount: number;
  publicEndpoints: { port: number; privatePort: number; protocol: string; bindAddress?: string }[];
  transitioningMessage?: string;
  /** Docker names of the containers whose volumes this one mounts (sidekicks resolved). */
  volumesFrom?: string[];
  /** How many times creation was retried with another managed address (see markForeignAddress). */
  addressRetries?: number;
  /** The name the Docker container was created with, when the record was renamed since. */
  dockerName?: string;
  /** Health from the agent's checks: null when the container has no health check. */
  healthState?: "initializing" | "healthy" | "unhealthy" | null;
  healthReason?: string;
}

/** Container data fields this module keeps. */
export interface ContainerNetworkFields {
  /** The address allocated from the managed network (stays, whatever Docker reports). */
  managedIp?: string | null;
  /** The host slice `managedIp` came from. */
  managedSubnet?: string;
}
