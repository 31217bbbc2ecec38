/**
 * Corral's container scheduler: a pure placement library (no I/O, no store access) with Rancher
 * 1.6's scheduling labels and semantics: affinity rules on host labels, container labels and
 * container names (hard, `_ne`, `_soft`, `_soft_ne`), `require_any` on hosts, host port conflicts
 * per host IP, memory/CPU reservations, and spread of a service's units across hosts.
 */
export {
  type AffinityKind,
  type AffinityRule,
  ANY_IP,
  hostIps,
  LABEL_AFFINITY_CONTAINER,
  LABEL_AFFINITY_CONTAINER_LABEL,
  LABEL_AFFINITY_HOST_LABEL,
  LABEL_GLOBAL,
  LABEL_REQUIRE_ANY,
  LABEL_SCHEDULER_IPS,
  LABEL_STACK_NAME,
  LABEL_STACK_SERVICE_NAME,
  type LabelTerm,
  parseAffinityLabels,
  parseLabelTerms,
} from "./affinity.ts";
export { type InstanceRecord, toRecord } from "./host-state.ts";
export { formatMiB, SUMMARY_MAX_HOSTS, summarizeReasons } from "./reasons.ts";
export { type HostUsage, Scheduler } from "./scheduler.ts";
export type {
  NotPlaced,
  Placed,
  PlacementRequest,
  PlacementResult,
  PortBinding,
  PortProtocol,
  PortSpec,
  SchedHost,
  SchedInstance,
} from "./types.ts";
