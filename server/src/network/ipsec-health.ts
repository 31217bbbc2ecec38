import { formatId, type IpsecReport, parseId } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import type { Store } from "../store/store.ts";

/** Mesh health of an environment's overlay. */
export type IpsecHealth = "healthy" | "degraded" | "unhealthy";

/** What a host row keeps of its last IPsec report. */
export interface HostIpsecFields {
  ipsec?: IpsecReport & { reportedAt: string };
}

/** Byte counters change with every ping: they are written at most this often (states at once). */
const bytesEveryMs = 30_000;

/** The part of a report that, when it changes, must be written at once. */
function shape(report: IpsecReport | undefined): string {
  if (!report) return "";
  const peers = report.peers.map((p) => `${p.hostId}:${p.state}:${p.reason ?? ""}`).sort();
  return JSON.stringify([report.dataPlane, report.error ?? "", peers]);
}

/**
 * The mesh health from every active host's own report: healthy when each active host says its
 * tunnel to each other active host is up, unhealthy when none is, degraded in between. A host that
 * has not reported yet counts as having no tunnel up. One host alone needs no tunnel: healthy.
 */
export function meshHealth(
  hosts: Array<{ id: string; active: boolean; report: IpsecReport | undefined }>,
): IpsecHealth {
  const active = hosts.filter((h) => h.active);
  const expected = active.length * (active.length - 1);
  if (expected === 0) return "healthy";
  const ids = new Set(active.map((h) => h.id));
  let up = 0;
  for (const h of active)
    for (const p of h.report?.peers ?? [])
      if (p.state === "up" && ids.has(p.hostId) && p.hostId !== h.id) up++;
  if (up >= expected) return "healthy";
  return up === 0 ? "unhealthy" : "degraded";
}

/** Recomputes and stores an environment's `ipsecHealth` (written only when it changed). */
export function updateMeshHealth(store: Store, projectId: string): IpsecHealth | null {
  const project = store.getByPublicId<{ ipsecHealth?: IpsecHealth }>("project", projectId);
  if (!project) return null;
  const hosts = store
    .all<HostFields & HostIpsecFields>("host", { projectId })
    .filter((h) => h.state !== "removed" && h.state !== "purged")
    .map((h) => ({
      id: formatId("host", h.id),
      active: h.data.agentState === "active" && Boolean((h.data as { hostSubnet?: string }).hostSubnet),
      report: h.data.ipsec,
    }));
  const health = meshHealth(hosts);
  if (project.data.ipsecHealth !== health) store.update(project.id, { data: { ipsecHealth: health } });
  return health;
}

/**
 * Folds one host's IPsec report (from hello or ping) into its row: at once when a tunnel's state,
 * reason or the data plane changed, else at most every 30 s for the byte counters. A change of
 * state also refreshes the environment's mesh health. The report holds no secret.
 */
export function recordIpsecReport(
  store: Store,
  hostId: string,
  report: IpsecReport | undefined,
  lastWritten: Map<string, number>,
): void {
  if (!report) return;
  const n = parseId("host", hostId);
  const host = n === null ? null : store.get<HostFields & HostIpsecFields>(n);
  if (host?.type !== "host" || !host.projectId) return;
  const changed = shape(host.data.ipsec) !== shape(report);
  if (!changed && Date.now() - (lastWritten.get(hostId) ?? 0) < bytesEveryMs) return;
  lastWritten.set(hostId, Date.now());
  store.update(host.id, { data: { ipsec: { ...report, reportedAt: new Date().toISOString() } } });
  if (changed) updateMeshHealth(store, host.projectId);
}
