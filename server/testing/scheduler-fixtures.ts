/** Builders for scheduler tests: terse hosts, instances and requests with sensible defaults. */
import { hostIps } from "../src/scheduler/affinity.ts";
import type { PlacementRequest, SchedHost, SchedInstance } from "../src/scheduler/types.ts";

/** A connected, active host named after its id, with the given labels and overrides. */
export function host(
  id: string,
  labels: Record<string, string> = {},
  over: Partial<SchedHost> = {},
): SchedHost {
  return {
    id,
    name: id,
    state: "active",
    agentConnected: true,
    labels,
    ips: hostIps(labels),
    memoryTotal: 0,
    milliCpuTotal: 0,
    ...over,
  };
}

/** An instance on `hostId`; `svc` (`stack/service`) also sets the `io.rancher.stack_service.name` label. */
export function inst(
  id: string,
  hostId: string,
  over: Partial<SchedInstance> & { svc?: string } = {},
): SchedInstance {
  const { svc, ...rest } = over;
  const labels = { ...(svc ? { "io.rancher.stack_service.name": svc } : {}), ...rest.labels };
  return { id, hostId, name: id, ports: [], ...rest, labels, ...(svc ? { serviceRef: svc } : {}) };
}

/** A request with the given labels; `svc` sets serviceRef and the service label as the orchestrator does. */
export function req(
  labels: Record<string, string> = {},
  over: Partial<PlacementRequest> & { svc?: string } = {},
): PlacementRequest {
  const { svc, ...rest } = over;
  const all = {
    ...(svc ? { "io.rancher.stack_service.name": svc, "io.rancher.stack.name": svc.split("/")[0]! } : {}),
    ...labels,
  };
  return { name: "c", ports: [], ...rest, labels: all, ...(svc ? { serviceRef: svc } : {}) };
}

/** `n` MiB in bytes. */
export const mib = (n: number): number => n * 1024 * 1024;
