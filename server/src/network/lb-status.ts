import { type LbStatus, parseId } from "@corral/api";
import type { ContainerFields } from "../model/container.ts";
import type { ServiceFields } from "../model/service.ts";
import type { Store } from "../store/store.ts";

/**
 * Folds what a host reports about its load balancer containers into their services: a config
 * HAProxy refused (a bad custom config) shows on the service with HAProxy's own message, while the
 * balancer keeps serving the config it had. Only the host that runs a container may report on it,
 * and only changes are written.
 */
export function recordLbStatus(store: Store, hostId: string, report: LbStatus | undefined): void {
  if (!report) return;
  for (const entry of report) {
    const cn = parseId("container", entry.containerId);
    const container = cn === null ? null : store.get<ContainerFields & { serviceId?: string }>(cn);
    if (container?.type !== "container" || container.data.hostId !== hostId) continue;
    if (container.data.serviceId !== entry.serviceId) continue;
    const sn = parseId("service", entry.serviceId);
    const service = sn === null ? null : store.get<ServiceFields & LbFields>(sn);
    if (service?.type !== "service" || service.data.kind !== "loadBalancerService") continue;
    const error = entry.error ?? null;
    const warnings = entry.warnings;
    if (
      error === (service.data.lbConfigError ?? null) &&
      JSON.stringify(warnings) === JSON.stringify(service.data.lbConfigWarnings ?? [])
    ) {
      continue;
    }
    store.update(service.id, { data: { lbConfigError: error, lbConfigWarnings: warnings } });
  }
}

/** What a load balancer service shows about its config. */
export interface LbFields {
  /** HAProxy's message for the last config it refused; null when the current one is served. */
  lbConfigError?: string | null;
  /** What the generated config had to leave out. */
  lbConfigWarnings?: string[];
}
