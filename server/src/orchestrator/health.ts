import type { ServiceHealth } from "../model/service.ts";
import { type Unit, unitHealthy } from "./units.ts";

/**
 * A service's health from its current units, as Rancher rolled it up: `healthy` when the desired
 * number of units are healthy, `initializing` while checks have not decided yet, `degraded` when
 * some are healthy, `unhealthy` when none is, and `started-once` for start_once services whose
 * containers ran and exited cleanly.
 */
export function serviceHealth(units: Unit[], desired: number): ServiceHealth {
  if (desired === 0 && units.length === 0) return "healthy";
  const containers = units.flatMap((u) => u.containers);
  if (
    containers.length > 0 &&
    containers.every((c) => c.data.startOnce) &&
    containers.every((c) => c.state === "stopped" && c.data.exitCode === 0)
  ) {
    return "started-once";
  }
  const healthy = units.filter(unitHealthy).length;
  const anyUnhealthy = containers.some((c) => c.data.healthState === "unhealthy" || c.state === "error");
  if (!anyUnhealthy && containers.some((c) => c.data.healthState === "initializing")) return "initializing";
  if (healthy >= desired && desired > 0) return "healthy";
  if (healthy === 0)
    return containers.some((c) => c.state === "creating" || c.state === "starting") && !anyUnhealthy
      ? "initializing"
      : "unhealthy";
  return "degraded";
}

const rank: Record<ServiceHealth, number> = {
  healthy: 0,
  "started-once": 0,
  initializing: 1,
  degraded: 2,
  unhealthy: 3,
};

/** The health of a group (stack, environment) from its members': the worst, with partial failure as degraded. */
export function groupHealth(members: ServiceHealth[]): ServiceHealth {
  if (members.length === 0) return "healthy";
  const worst = members.reduce((a, b) => (rank[b] > rank[a] ? b : a), "healthy" as ServiceHealth);
  if (worst === "unhealthy" && members.some((m) => rank[m] < rank.unhealthy)) return "degraded";
  return worst === "started-once" ? "healthy" : worst;
}
