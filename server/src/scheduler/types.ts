/** The plain data the scheduler works on: hosts, instances already placed, and placement requests. */

/** Transport protocol of a published port. */
export type PortProtocol = "tcp" | "udp";

/** A host as the scheduler sees it. */
export interface SchedHost {
  /** Host id (e.g. `1h3`). */
  id: string;
  /** Host name, used as the key of failure reasons. */
  name: string;
  /** Host state; only `active` hosts are eligible. */
  state: "active" | "inactive" | "activating" | "deactivating" | "removing" | "removed" | (string & {});
  /** Whether the agent is connected; a disconnected host takes no new work. */
  agentConnected: boolean;
  /** Host labels (including `io.rancher.scheduler.require_any` and `io.rancher.scheduler.ips`). */
  labels: Record<string, string>;
  /** Bindable IPs: the `io.rancher.scheduler.ips` label, comma-separated, plus `0.0.0.0` (see {@link hostIps}). */
  ips: string[];
  /** Memory in bytes; 0 means unknown, which means no limit. */
  memoryTotal: number;
  /** CPU in milli-CPUs; 0 means unknown, which means no limit. */
  milliCpuTotal: number;
  /**
   * Container addresses of the host's managed slice: how many it has (a /24 gives 253) and how many
   * are in use when the scheduler is built. Absent means no limit.
   */
  addresses?: { capacity: number; inUse: number };
}

/** A host port a container publishes. */
export interface PortSpec {
  /** Host IP to bind; absent means "any IP the host offers". */
  ip?: string;
  /** Host port; 0 means a random port picked on the host, which never conflicts. */
  publicPort: number;
  protocol: PortProtocol;
}

/** An instance placed (or being placed) on a host. */
export interface SchedInstance {
  id: string;
  hostId: string;
  /** Container name, matched by `io.rancher.scheduler.affinity:container` rules. */
  name: string;
  /** Container labels, matched by `container_label` rules. */
  labels: Record<string, string>;
  /** `stack/service` of the owning service; defaults to the `io.rancher.stack_service.name` label. */
  serviceRef?: string;
  ports: PortSpec[];
  memoryReservation?: number;
  milliCpuReservation?: number;
}

/** What the orchestrator asks to place: one deployment unit (primary plus sidekicks, merged). */
export interface PlacementRequest {
  /** Id to reserve under, for a later `release(id)`; generated when absent. */
  id?: string;
  /** Container name (the primary's), recorded for later `container` affinity rules. */
  name: string;
  /** The unit's merged labels, including its affinity rules. */
  labels: Record<string, string>;
  /** `stack/service`, used to spread units of one service across hosts. */
  serviceRef?: string;
  ports: PortSpec[];
  memoryReservation?: number;
  milliCpuReservation?: number;
  /** Place on this host only; as in Rancher 1.6, affinity rules are then not applied. */
  requestedHostId?: string;
  /** Managed-network addresses the unit takes on its host (members on the managed network). */
  addresses?: number;
}

/** A port as reserved on the chosen host: the IP it was bound to is always set. */
export interface PortBinding {
  ip: string;
  publicPort: number;
  protocol: PortProtocol;
}

/** A successful placement: the host, the id reserved under, and the IPs the ports were bound to. */
export interface Placed {
  hostId: string;
  instanceId: string;
  bindings: PortBinding[];
}

/** A failed placement: per host name, the first rule that host failed, in plain words. */
export interface NotPlaced {
  hostId: null;
  reasons: Record<string, string>;
}

/** The result of `Scheduler.place`. */
export type PlacementResult = Placed | NotPlaced;
