import { formatId } from "@corral/api";
import { hostIps } from "../scheduler/affinity.ts";
import type { PlacementRequest, PortSpec, SchedHost, SchedInstance } from "../scheduler/types.ts";
import { parsePort } from "../services/container-spec.ts";
import type { Dispatcher } from "../services/context.ts";
import type { HostFields } from "../services/hosts.ts";
import type { ServiceFields } from "../services/service-fields.ts";
import type { Row } from "../store/rows.ts";
import { memberName, unitLaunchConfigs } from "./deploy.ts";
import type { UnitContainer } from "./units.ts";

/** The scheduler's view of a project's hosts. */
export function schedHosts(hosts: Row<HostFields>[], dispatcher: Dispatcher): SchedHost[] {
  return hosts.map((h) => {
    const id = formatId("host", h.id);
    return {
      id,
      name: h.name ?? h.data.hostname ?? id,
      state: h.state,
      agentConnected: dispatcher.isConnected(id) && h.data.agentState === "active",
      labels: h.data.labels,
      ips: hostIps(h.data.labels),
      memoryTotal: h.data.info?.memoryTotal ?? 0,
      milliCpuTotal: (h.data.info?.cpuCount ?? 0) * 1000,
    };
  });
}

function portsOf(specs: string[]): PortSpec[] {
  const out: PortSpec[] = [];
  for (const spec of specs) {
    try {
      const p = parsePort(spec);
      out.push({
        publicPort: p.publicPort ?? 0,
        protocol: p.protocol,
        ...(p.bindAddress ? { ip: p.bindAddress } : {}),
      });
    } catch {
      // Ports were validated when the service was created; a bad one cannot conflict.
    }
  }
  return out;
}

/** The scheduler's view of containers already placed (any container with a host, service or not). */
export function schedInstances(
  containers: Row<
    Partial<UnitContainer["data"]> & {
      hostId: string | null;
      labels: Record<string, string>;
      ports: string[];
    }
  >[],
): SchedInstance[] {
  const out: SchedInstance[] = [];
  for (const c of containers) {
    if (!c.data.hostId) continue;
    out.push({
      id: formatId("container", c.id),
      hostId: c.data.hostId,
      name: c.name ?? "",
      labels: c.data.labels,
      ports: portsOf(c.data.ports),
      memoryReservation: c.data.memoryReservation,
      milliCpuReservation: c.data.milliCpuReservation,
    });
  }
  return out;
}

/** One unit as a placement request: the labels, ports and reservations of all its members merged. */
export function unitRequest(
  service: Row<ServiceFields>,
  stackName: string,
  createIndex: number,
  requestedHostId?: string,
): PlacementRequest {
  const configs = unitLaunchConfigs(service.data);
  const labels: Record<string, string> = {};
  const ports: PortSpec[] = [];
  let memoryReservation = 0;
  let milliCpuReservation = 0;
  for (const [, lc] of configs) {
    Object.assign(labels, lc.labels);
    ports.push(...portsOf(lc.ports));
    memoryReservation += lc.memoryReservation ?? 0;
    milliCpuReservation += lc.milliCpuReservation ?? 0;
  }
  const serviceRef = `${stackName}/${service.name}`;
  labels["io.rancher.stack_service.name"] = serviceRef;
  labels["io.rancher.stack.name"] = stackName;
  return {
    name: memberName(stackName, service.name!, "", createIndex),
    labels,
    serviceRef,
    ports,
    ...(memoryReservation ? { memoryReservation } : {}),
    ...(milliCpuReservation ? { milliCpuReservation } : {}),
    ...(requestedHostId ? { requestedHostId } : {}),
  };
}
