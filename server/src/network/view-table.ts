import {
  derivedServiceLabels,
  type HostState,
  type StateContainer,
  type StateService,
  type WireContainerInput,
} from "@corral/api";
import type { EnvironmentView } from "./host-state.ts";

/** A container on the wire as the input of its schema: empty values left out. */
export type WireContainerOut = WireContainerInput;

/** One container of a published view, in the two forms hosts get. */
export interface TableContainer {
  hostId: string;
  /** What its own host gets. */
  local: WireContainerOut;
  localJson: string;
  /** What every other host gets. */
  remote: WireContainerOut;
  remoteJson: string;
}

/** One environment's view as last published: what deltas are computed against. */
export interface ViewTable {
  version: number;
  containers: Map<string, TableContainer>;
  services: Map<string, { item: StateService; json: string }>;
  hosts: Map<string, { item: HostState["hosts"][number]; json: string }>;
}

/** The form of a container `hostId` gets. */
export function formFor(c: TableContainer, hostId: string): { item: WireContainerOut; json: string } {
  return c.hostId === hostId ? { item: c.local, json: c.localJson } : { item: c.remote, json: c.remoteJson };
}

/**
 * A container as it travels: empty values left out, stack and service names left out when they are
 * those of its service. Another host's container (`summary`) keeps what DNS, load balancers and
 * metadata need of it: no labels, links nor dns settings, which only its own host uses.
 */
export function toWire(
  c: StateContainer,
  services: ReadonlyMap<string, StateService>,
  summary: boolean,
): WireContainerOut {
  const out: WireContainerOut = { id: c.id, name: c.name, hostId: c.hostId, state: c.state };
  if (c.ip !== null) out.ip = c.ip;
  if (c.healthState !== null) out.healthState = c.healthState;
  if (c.serviceId !== null) out.serviceId = c.serviceId;
  // A service's primary ("") is left out: the agent puts it back for containers with a service.
  if (c.launchConfigName) out.launchConfigName = c.launchConfigName;
  if (c.createIndex !== null) out.createIndex = c.createIndex;
  const svc = c.serviceId ? services.get(c.serviceId) : undefined;
  if (!svc || svc.stackName !== c.stackName) out.stackName = c.stackName;
  if (!svc || svc.name !== c.serviceName) out.serviceName = c.serviceName;
  if (c.ports.length > 0) out.ports = c.ports;
  // Labels travel for every container: metadata answers them about any container of the
  // environment, as Rancher's did (templates read other hosts' containers' labels). Another host's
  // service container leaves out those that repeat its names; the agent puts them back.
  const labels = summary && c.serviceId ? withoutDerived(c) : c.labels;
  if (Object.keys(labels).length > 0) out.labels = labels;
  if (summary) return out;
  if (Object.keys(c.links).length > 0) out.links = c.links;
  if (c.dns.length > 0) out.dns = c.dns;
  if (c.dnsSearch.length > 0) out.dnsSearch = c.dnsSearch;
  return out;
}

/**
 * A service container's labels as another host gets them: without those
 * {@link derivedServiceLabels} rebuilds exactly, and without Corral's own `io.corral.*` ones (the
 * health check travels once on the service; the rest only the container's host uses).
 */
function withoutDerived(c: StateContainer): Record<string, string> {
  const derived = derivedServiceLabels(c);
  return Object.fromEntries(
    Object.entries(c.labels).filter(([k, v]) => derived[k] !== v && !k.startsWith("io.corral.")),
  );
}

/** One container's entry of a table. */
export function tableContainer(
  c: StateContainer,
  services: ReadonlyMap<string, StateService>,
): TableContainer {
  const local = toWire(c, services, false);
  const remote = toWire(c, services, true);
  return {
    hostId: c.hostId,
    local,
    localJson: JSON.stringify(local),
    remote,
    remoteJson: JSON.stringify(remote),
  };
}

/** The table of an environment's view at `version`. */
export function buildTable(env: EnvironmentView, version: number): ViewTable {
  const services = new Map(env.services.map((s) => [s.id, { item: s, json: JSON.stringify(s) }]));
  const byId = new Map(env.services.map((s) => [s.id, s]));
  const containers = new Map<string, TableContainer>();
  for (const c of env.containers) containers.set(c.id, tableContainer(c, byId));
  const hosts = new Map(env.hosts.map((h) => [h.id, { item: h, json: JSON.stringify(h) }]));
  return { version, containers, services, hosts };
}

/** Container ids whose record changed (or appeared) between two tables, and ids that went away. */
export interface TableChanges {
  containers: string[];
  removedContainers: string[];
  services: StateService[];
  removedServices: string[];
  hosts: HostState["hosts"];
  removedHosts: string[];
}

/** What changed from `before` to `after`, once for the environment. */
export function diffTables(before: ViewTable, after: ViewTable): TableChanges {
  const out: TableChanges = {
    containers: [],
    removedContainers: [],
    services: [],
    removedServices: [],
    hosts: [],
    removedHosts: [],
  };
  for (const [id, c] of after.containers) {
    const old = before.containers.get(id);
    if (!old || old.localJson !== c.localJson || old.remoteJson !== c.remoteJson || old.hostId !== c.hostId)
      out.containers.push(id);
  }
  for (const id of before.containers.keys()) if (!after.containers.has(id)) out.removedContainers.push(id);
  for (const [id, s] of after.services)
    if (before.services.get(id)?.json !== s.json) out.services.push(s.item);
  for (const id of before.services.keys()) if (!after.services.has(id)) out.removedServices.push(id);
  for (const [id, h] of after.hosts) if (before.hosts.get(id)?.json !== h.json) out.hosts.push(h.item);
  for (const id of before.hosts.keys()) if (!after.hosts.has(id)) out.removedHosts.push(id);
  return out;
}

/**
 * The changes between two tables when only the given containers, services and hosts can differ (an
 * incremental publish knows which it projected again): the same answer as `diffTables`, without
 * visiting the environment's other containers.
 */
export function diffSome(
  before: ViewTable,
  after: ViewTable,
  containers: Iterable<string>,
  services: Iterable<string>,
  hosts: Iterable<string> = [],
): TableChanges {
  const out: TableChanges = {
    containers: [],
    removedContainers: [],
    services: [],
    removedServices: [],
    hosts: [],
    removedHosts: [],
  };
  for (const id of new Set(containers)) {
    const c = after.containers.get(id);
    const old = before.containers.get(id);
    if (!c) {
      if (old) out.removedContainers.push(id);
    } else if (
      !old ||
      old.localJson !== c.localJson ||
      old.remoteJson !== c.remoteJson ||
      old.hostId !== c.hostId
    )
      out.containers.push(id);
  }
  for (const id of new Set(services)) {
    const s = after.services.get(id);
    if (!s) {
      if (before.services.has(id)) out.removedServices.push(id);
    } else if (before.services.get(id)?.json !== s.json) out.services.push(s.item);
  }
  for (const id of new Set(hosts)) {
    const h = after.hosts.get(id);
    if (!h) {
      if (before.hosts.has(id)) out.removedHosts.push(id);
    } else if (before.hosts.get(id)?.json !== h.json) out.hosts.push(h.item);
  }
  return out;
}

/** The container upserts one host gets out of an environment's changes, in JSON: only forms that differ. */
export function containerUpserts(
  changes: TableChanges,
  before: ViewTable,
  after: ViewTable,
  hostId: string,
): string[] {
  const out: string[] = [];
  for (const id of changes.containers) {
    const now = formFor(after.containers.get(id)!, hostId).json;
    const old = before.containers.get(id);
    if (!old || formFor(old, hostId).json !== now) out.push(now);
  }
  return out;
}

/**
 * The containers host `hostId` gets in a snapshot, in JSON, in groups whose JSON stays within
 * `partBytes` (the first group shares its frame with `headBytes` of everything else). At least one group.
 */
export function containerGroups(
  table: ViewTable,
  hostId: string,
  headBytes: number,
  partBytes: number,
): string[][] {
  const groups: string[][] = [[]];
  let bytes = headBytes;
  for (const c of table.containers.values()) {
    const json = formFor(c, hostId).json;
    const last = groups.at(-1)!;
    if (last.length > 0 && bytes + json.length > partBytes) {
      groups.push([json]);
      bytes = 64 + json.length;
    } else {
      last.push(json);
      bytes += json.length + 1;
    }
  }
  return groups;
}
