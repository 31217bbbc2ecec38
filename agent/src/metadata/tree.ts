import type { HostState, StateContainer, StateService } from "@corral/api";
import { type Meta, type MetaMap, toMeta } from "./render.ts";

/** What `self` answers for one asking container. */
export interface SelfView {
  container: MetaMap;
  service: MetaMap | null;
  stack: MetaMap | null;
}

/** The whole metadata of one host state, with the per-address `self` views precomputed. */
export interface MetadataTree {
  version: string;
  /** `containers`, `services`, `stacks`, `hosts`, `version` (no `self`: it depends on who asks). */
  root: MetaMap;
  /** This host, answered as `self/host` to everyone. */
  host: MetaMap | null;
  byIp: Map<string, SelfView>;
}

const fqdnZone = "rancher.internal";

function containerMeta(c: StateContainer): MetaMap {
  const index = c.serviceName ? /-(\d+)$/.exec(c.name)?.[1] : undefined;
  return {
    name: c.name,
    uuid: c.id,
    primary_ip: c.ip,
    ips: c.ip ? [c.ip] : [],
    ports: c.ports,
    labels: c.labels,
    stack_name: c.stackName,
    service_name: c.serviceName,
    service_index: index ?? null,
    health_state: c.healthState,
    state: c.state,
    host_uuid: c.hostId,
    create_index: c.createIndex,
    hostname: c.name,
    dns: c.dns,
    dns_search: c.dnsSearch,
    links: c.links,
  };
}

function hostMeta(h: HostState["hosts"][number]): MetaMap {
  return {
    name: h.name,
    uuid: h.id,
    agent_ip: h.agentIp,
    hostname: h.name,
    labels: h.labels,
    state: h.state,
  };
}

/**
 * Builds the tree rancher-metadata served, from one host state. A service with sidekicks appears
 * once per launch config, as in Rancher: the primary entry lists the sidekick names, and each
 * sidekick has its own entry (with `primary_service_name`) holding only its own containers.
 */
export function buildMetadata(state: HostState): MetadataTree {
  const containers = new Map<string, MetaMap>();
  for (const c of state.containers) containers.set(c.id, containerMeta(c));
  const servicesById = new Map<string, StateService>(state.services.map((s) => [s.id, s]));

  const launchConfigs = new Map<string, StateContainer[]>(); // `${serviceId}\0${launch config}`
  for (const c of state.containers) {
    if (!c.serviceId) continue;
    const svc = servicesById.get(c.serviceId);
    const lc = c.launchConfigName && c.launchConfigName !== svc?.name ? c.launchConfigName : "";
    const key = `${c.serviceId}\0${lc}`;
    launchConfigs.set(key, [...(launchConfigs.get(key) ?? []), c]);
  }

  const serviceEntries: MetaMap[] = [];
  const entryOf = new Map<string, MetaMap>(); // `${serviceId}\0${launch config}` -> entry
  for (const s of state.services) {
    const links: MetaMap = {};
    for (const l of s.links) {
      const target = servicesById.get(l.serviceId);
      if (target) links[`${target.stackName}/${target.name}`] = l.alias;
    }
    for (const lc of ["", ...s.sidekicks]) {
      const members = (launchConfigs.get(`${s.id}\0${lc}`) ?? []).sort(
        (a, b) => (a.createIndex ?? 0) - (b.createIndex ?? 0),
      );
      const name = lc || s.name;
      const entry: MetaMap = {
        name,
        uuid: lc ? `${s.id}/${lc}` : s.id,
        stack_name: s.stackName,
        kind: s.kind,
        scale: s.scale,
        state: s.state,
        health_state: s.healthState,
        containers: members.map((c) => containers.get(c.id)!),
        links,
        metadata: toMeta(s.metadata),
        labels: lc ? (members[0]?.labels ?? {}) : s.labels,
        sidekicks: lc ? [] : s.sidekicks,
        primary_service_name: s.name,
        ports: members[0]?.ports ?? [],
        external_ips: s.externalIpAddresses,
        hostname: s.hostname,
        fqdn: `${lc ? `${lc}.${s.name}` : s.name}.${s.stackName}.${fqdnZone}`,
      };
      serviceEntries.push(entry);
      entryOf.set(`${s.id}\0${lc}`, entry);
    }
  }

  const stacksByName = new Map<string, MetaMap>();
  for (const entry of serviceEntries) {
    const name = entry.stack_name as string;
    let stack = stacksByName.get(name);
    if (!stack) {
      stack = { name, environment_name: state.environmentId, services: [] };
      stacksByName.set(name, stack);
    }
    (stack.services as Meta[]).push(entry);
  }

  const byIp = new Map<string, SelfView>();
  for (const c of state.containers) {
    if (!c.ip) continue;
    const svc = c.serviceId ? servicesById.get(c.serviceId) : undefined;
    const lc = c.launchConfigName && c.launchConfigName !== svc?.name ? c.launchConfigName : "";
    const service = c.serviceId ? (entryOf.get(`${c.serviceId}\0${lc}`) ?? null) : null;
    const stackName = c.stackName ?? svc?.stackName;
    byIp.set(c.ip, {
      container: containers.get(c.id)!,
      service,
      stack: stackName ? (stacksByName.get(stackName) ?? { name: stackName, services: [] }) : null,
    });
  }

  const hosts = state.hosts.map(hostMeta);
  const host = hosts.find((h) => h.uuid === state.hostId) ?? null;
  const version = String(state.version);
  return {
    version,
    host,
    byIp,
    root: {
      containers: [...containers.values()],
      services: serviceEntries,
      stacks: [...stacksByName.values()],
      hosts,
      version,
    },
  };
}

/** The tree seen by the client at `ip`: the shared root plus its own `self`. */
export function viewFor(tree: MetadataTree, ip: string): MetaMap {
  const mine = tree.byIp.get(ip);
  const self: MetaMap = { host: tree.host };
  if (mine) {
    self.container = mine.container;
    self.service = mine.service;
    self.stack = mine.stack;
  }
  return { ...tree.root, self };
}
