import { formatId } from "@corral/api";
import type { Store } from "../store/store.ts";
import {
  type Container,
  type EnvironmentView,
  type Host,
  type ProjectRows,
  type Service,
  servicePaths,
  stateContainer,
  stateHost,
  stateService,
} from "./host-state.ts";
import { tableContainer, type ViewTable } from "./view-table.ts";

/** An environment's view as last published, with the rows it was made of. */
export interface Published {
  table: ViewTable;
  /** The rows of the last whole build (containers changed since are in the table only). */
  rows: ProjectRows;
  env: Omit<EnvironmentView, "containers" | "services" | "hosts">;
}

/** What changed in an environment since its last publish: some containers and services, or more (`whole`). */
export interface Dirty {
  whole: boolean;
  containers: Set<number>;
  services: Set<number>;
  hosts: Set<number>;
}

/** A table patched in place, with the public ids of what was projected again. */
export interface Patched extends Published {
  containerIds: string[];
  serviceIds: string[];
  hostIds: string[];
}

/**
 * The published view with only the changed containers, services and hosts projected again (an
 * incremental publish), or null when that is not enough and the environment must be built again:
 * a host new or removed; a service the table does not know, removed, renamed or moved (containers
 * and links name it); a load balancer's service or container (which hosts get which certificates
 * depends on where balancers run).
 */
export function patchView(
  store: Store,
  projectId: string,
  from: Published,
  dirty: Dirty,
  version: number,
): Patched | null {
  let env = from.env;
  let tableServices = from.table.services;
  const serviceIds: string[] = [];
  if (dirty.services.size > 0) {
    const serviceById = new Map(from.env.serviceById);
    for (const rowId of dirty.services) {
      const id = formatId("service", rowId);
      const row = store.get(rowId) as Service | null;
      const old = serviceById.get(id);
      if (
        !row ||
        !old ||
        row.projectId !== projectId ||
        row.state === "removed" ||
        row.state === "purged" ||
        row.name !== old.name ||
        row.data.stackId !== old.data.stackId ||
        row.data.kind === "loadBalancerService" ||
        old.data.kind === "loadBalancerService"
      )
        return null;
      serviceById.set(id, row);
      serviceIds.push(id);
    }
    env = { ...from.env, serviceById };
    const paths = servicePaths(serviceById, env.stackName);
    tableServices = new Map(from.table.services);
    for (const id of serviceIds) {
      const item = stateService(serviceById.get(id)!, env.stackName, paths, env.certIdByName);
      tableServices.set(id, { item, json: JSON.stringify(item) });
    }
  }
  let rows = from.rows;
  let tableHosts = from.table.hosts;
  const hostIds: string[] = [];
  if (dirty.hosts.size > 0) {
    const hosts = [...rows.hosts];
    tableHosts = new Map(tableHosts);
    for (const rowId of dirty.hosts) {
      const at = hosts.findIndex((h) => h.id === rowId);
      const row = store.get(rowId) as Host | null;
      // A new or removed host changes slices, tunnels and balancers: built again.
      if (at < 0 || !row || row.projectId !== projectId || row.state === "removed") return null;
      hosts[at] = row;
      const item = stateHost(row);
      tableHosts.set(item.id, { item, json: JSON.stringify(item) });
      hostIds.push(item.id);
    }
    rows = { ...rows, hosts };
  }
  const containers = new Map(from.table.containers);
  const services = new Map([...tableServices].map(([id, s]) => [id, s.item]));
  const isBalancer = (serviceId: string | null | undefined) =>
    !!serviceId && services.get(serviceId)?.kind === "loadBalancerService";
  const containerIds: string[] = [];
  for (const rowId of dirty.containers) {
    const id = formatId("container", rowId);
    containerIds.push(id);
    if (isBalancer(containers.get(id)?.local.serviceId)) return null;
    const row = store.get(rowId) as Container | null;
    if (!row || row.projectId !== projectId || row.state === "removed" || row.state === "purged") {
      containers.delete(id);
      continue;
    }
    const serviceId = row.data.serviceId;
    const svc = serviceId ? env.serviceById.get(serviceId) : undefined;
    if ((serviceId && !svc) || isBalancer(serviceId)) return null;
    containers.set(id, tableContainer(stateContainer(row, svc, env.stackName), services));
  }
  return {
    rows,
    env,
    table: { version, containers, services: tableServices, hosts: tableHosts },
    containerIds,
    serviceIds,
    hostIds,
  };
}
