import { formatId, type LaunchConfig } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import type { ServiceFields } from "../model/service.ts";
import { addressUse, type HostNetworkFields, isManaged } from "../network/allocation.ts";
import { ANY_IP, hostIps } from "../scheduler/affinity.ts";
import type {
  PlacementRequest,
  PortSpec,
  PortBinding as SchedBinding,
  SchedHost,
  SchedInstance,
} from "../scheduler/types.ts";
import { networkModeOf, parsePort } from "../services/container-spec.ts";
import type { Dispatcher } from "../services/context.ts";
import { volumesFromAffinity } from "../services/volumes-from.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { memberName, unitLaunchConfigs } from "./deploy.ts";
import type { UnitContainer } from "./units.ts";

/**
 * The scheduler's view of a project's hosts. With a store, each host also carries how many container
 * addresses its slice has and uses, so no unit is placed where it could not get one.
 */
export function schedHosts(hosts: Row<HostFields>[], dispatcher: Dispatcher, store?: Store): SchedHost[] {
  return hosts.map((h) => {
    const id = formatId("host", h.id);
    const subnet = (h.data as HostNetworkFields).hostSubnet;
    return {
      ...(store && h.projectId ? { addresses: addressUse(store, h.projectId, { id, subnet }) } : {}),
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

/** Labels, ports and reservations of a unit's members merged: what the scheduler checks a host against. */
export function membersRequest(
  configs: LaunchConfig[],
  unit: { name: string; serviceRef?: string; stackName?: string; requestedHostId?: string },
): PlacementRequest {
  const labels: Record<string, string> = {};
  const ports: PortSpec[] = [];
  let memoryReservation = 0;
  let milliCpuReservation = 0;
  let addresses = 0;
  for (const lc of configs) {
    if (isManaged(networkModeOf(lc))) addresses++;
    Object.assign(labels, lc.labels);
    ports.push(...portsOf(lc.ports));
    memoryReservation += lc.memoryReservation ?? 0;
    milliCpuReservation += lc.milliCpuReservation ?? 0;
  }
  if (unit.serviceRef) labels["io.rancher.stack_service.name"] = unit.serviceRef;
  if (unit.stackName) labels["io.rancher.stack.name"] = unit.stackName;
  return {
    name: unit.name,
    labels,
    ...(unit.serviceRef ? { serviceRef: unit.serviceRef } : {}),
    ports,
    ...(memoryReservation ? { memoryReservation } : {}),
    ...(milliCpuReservation ? { milliCpuReservation } : {}),
    ...(unit.requestedHostId ? { requestedHostId: unit.requestedHostId } : {}),
    ...(addresses ? { addresses } : {}),
  };
}

/**
 * One unit of a service as a placement request. With a store, a unit whose members mount volumes
 * from other services or containers (`volumes_from`) must go where those run: Docker shares
 * volumes only between containers of one host.
 */
export function unitRequest(
  service: Row<ServiceFields>,
  stackName: string,
  createIndex: number,
  requestedHostId?: string,
  store?: Store,
): PlacementRequest {
  const configs = unitLaunchConfigs(service.data).map(([, lc]) => lc);
  const request = membersRequest(configs, {
    name: memberName(stackName, service.name!, "", createIndex),
    serviceRef: `${stackName}/${service.name}`,
    stackName,
    requestedHostId,
  });
  if (!store || !configs.some((lc) => lc.dataVolumesFrom.length > 0)) return request;
  const extra = volumesFromAffinity(store, service.projectId!, service.data.stackId, stackName, configs);
  for (const [key, value] of Object.entries(extra))
    request.labels[key] = request.labels[key] ? `${request.labels[key]},${value}` : value;
  return request;
}

/**
 * The host IP a placement bound the request's IP-less public ports to (the scheduler puts them all
 * on one IP), or undefined when it has none or it is 0.0.0.0 (every IP of the host).
 */
export function portIpOf(request: PlacementRequest, bindings: SchedBinding[]): string | undefined {
  const fixed = new Set(
    request.ports.filter((p) => p.ip).map((p) => `${p.ip}|${p.publicPort}/${p.protocol}`),
  );
  const ip = bindings.find((b) => !fixed.has(`${b.ip}|${b.publicPort}/${b.protocol}`))?.ip;
  return ip && ip !== ANY_IP ? ip : undefined;
}
