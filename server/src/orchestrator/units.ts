import type { HealthCheck } from "@corral/api";
import type { ContainerFields } from "../model/container.ts";
import type { UnitMembership } from "../model/service.ts";
import { presentContainerStates } from "../services/container-spec.ts";
import type { Row } from "../store/rows.ts";

/** A container row made by a service. */
export type UnitContainer = Row<ContainerFields & UnitMembership>;

/** One deployment unit: a primary and its sidekicks, always on one host. */
export interface Unit {
  uuid: string;
  createIndex: number;
  version: string;
  hostId: string | null;
  containers: UnitContainer[];
}

/** Container states that count as present (not on their way out). */
export const presentStates = presentContainerStates;

/** Groups a service's present containers into units, ordered by createIndex. */
export function groupUnits(containers: UnitContainer[]): Unit[] {
  const byUuid = new Map<string, Unit>();
  addToUnits(byUuid, containers);
  return sortedUnits(byUuid);
}

/**
 * {@link groupUnits} for a service of thousands of containers: `pause` is called between slices of
 * them, so grouping never holds the event loop for long.
 */
export async function groupUnitsPaced(
  containers: UnitContainer[],
  pause: () => Promise<void>,
): Promise<Unit[]> {
  const byUuid = new Map<string, Unit>();
  for (let i = 0; i < containers.length; i += groupSlice) {
    addToUnits(byUuid, containers.slice(i, i + groupSlice));
    await pause();
  }
  return sortedUnits(byUuid);
}

/** Containers grouped between two pauses of {@link groupUnitsPaced}. */
const groupSlice = 500;

function sortedUnits(byUuid: Map<string, Unit>): Unit[] {
  return [...byUuid.values()].sort((a, b) => a.createIndex - b.createIndex);
}

function addToUnits(byUuid: Map<string, Unit>, containers: UnitContainer[]): void {
  for (const c of containers) {
    if (!presentStates.includes(c.state)) continue;
    let unit = byUuid.get(c.data.deploymentUnitUuid);
    if (!unit) {
      unit = {
        uuid: c.data.deploymentUnitUuid,
        createIndex: c.data.createIndex,
        version: c.data.serviceVersion,
        hostId: c.data.hostId,
        containers: [],
      };
      byUuid.set(unit.uuid, unit);
    }
    unit.containers.push(c);
  }
}

/** What a unit needs from the reconciler. */
export type UnitVerdict =
  | { kind: "ok" }
  | { kind: "busy" }
  | { kind: "start"; containers: UnitContainer[] }
  | { kind: "replace"; reason: string };

/** Facts about hosts the verdict depends on. */
export interface HostView {
  /** Hosts whose agent is `disconnected` (not merely reconnecting). */
  disconnected: Set<string>;
  /** Hosts that are gone (removed) or unknown. */
  missing: Set<string>;
}

/**
 * Judges one unit as Rancher's deployment planner did: units with an errored container, or unhealthy
 * under the `recreate` strategy, or on a disconnected host when the service has a health check, are
 * replaced; stopped containers are started (unless start_once); transitioning ones are left alone.
 */
export function judgeUnit(
  unit: Unit,
  healthCheck: HealthCheck | undefined,
  hosts: HostView,
  quorumMet: boolean,
): UnitVerdict {
  if (unit.hostId && hosts.missing.has(unit.hostId)) return { kind: "replace", reason: "its host is gone" };
  if (healthCheck && unit.hostId && hosts.disconnected.has(unit.hostId)) {
    return { kind: "replace", reason: "its host is disconnected" };
  }
  if (unit.containers.some((c) => c.state === "error"))
    return { kind: "replace", reason: "a container failed" };
  const strategy = healthCheck?.strategy ?? "recreate";
  const unhealthy = unit.containers.some((c) => c.data.healthState === "unhealthy");
  if (unhealthy && strategy !== "none" && (strategy === "recreate" || quorumMet)) {
    return { kind: "replace", reason: "a container is unhealthy" };
  }
  if (unit.containers.some((c) => c.state !== "running" && c.state !== "stopped")) return { kind: "busy" };
  const stopped = unit.containers.filter((c) => c.state === "stopped" && !c.data.startOnce);
  if (stopped.length > 0) {
    if (unit.hostId && hosts.disconnected.has(unit.hostId)) return { kind: "busy" };
    return { kind: "start", containers: stopped };
  }
  return { kind: "ok" };
}

/** True when every container of the unit is running (or ran once and exited 0, for start_once). */
export function unitRunning(unit: Unit): boolean {
  return unit.containers.every(
    (c) => c.state === "running" || (c.data.startOnce && c.state === "stopped" && c.data.exitCode === 0),
  );
}

/** True when the unit counts as healthy for health roll-up and upgrades. */
export function unitHealthy(unit: Unit): boolean {
  return (
    unitRunning(unit) && unit.containers.every((c) => !c.data.healthState || c.data.healthState === "healthy")
  );
}
