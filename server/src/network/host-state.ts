import {
  type AcmeChallenge,
  formatId,
  type HostState,
  labelKeys,
  type StateContainer,
  type StateService,
} from "@corral/api";
import type { ContainerFields } from "../model/container.ts";
import type { HostFields } from "../model/host.ts";
import type { ProjectFields } from "../model/project.ts";
import type { ServiceFields, StackFields, UnitMembership } from "../model/service.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { gatewayOf, managedBridgeName, managedCidr } from "./addresses.ts";
import type { HostNetworkFields, ServiceNetworkFields } from "./allocation.ts";
import { type IpsecKeys, ipsecKeysOf } from "./ipsec-keys.ts";
import { ipsecViewFor } from "./ipsec-state.ts";
import { lbCertificateRefs, resolveLbConfig } from "./lb-refs.ts";

/** Default range of random public ports (Rancher's). */
export const defaultPortRange = { start: 49153, end: 65535 } as const;

/** A container row as the view reads it. */
export type Container = Row<ContainerFields & Partial<UnitMembership>>;
/** A service row with the network fields the view reads. */
export type Service = Row<ServiceFields & ServiceNetworkFields>;
/** A host row with the network fields the view reads. */
export type Host = Row<HostFields & HostNetworkFields>;

/** Every row of one environment that the network view is made of, read once. */
export interface ProjectRows {
  projectId: string;
  project: Row<ProjectFields> | null;
  hosts: Host[];
  containers: Container[];
  services: Service[];
  stacks: Row<StackFields>[];
  certificates: Row<{ cert: string; certChain?: string | null; acme?: { challenges?: AcmeChallenge[] } }>[];
  /** Private keys of the certificates, by public id (kept out of rows so they never leak into answers). */
  keyOf(certificateId: string): string | null;
  /** The environment's IPsec keys (absent in views built without them: no tunnels). */
  ipsecKeys?: IpsecKeys | null;
}

function live<T extends object>(store: Store, type: Row["type"], projectId: string): Row<T>[] {
  return store.all<T>(type, { projectId }).filter((r) => r.state !== "removed" && r.state !== "purged");
}

/** Reads the rows of an environment the network view needs (one query per type). */
export function loadProjectRows(store: Store, projectId: string): ProjectRows {
  const certificates = live<ProjectRows["certificates"][number]["data"]>(store, "certificate", projectId);
  const rowIdOf = new Map(certificates.map((c) => [formatId("certificate", c.id), c.id]));
  return {
    projectId,
    project: store.getByPublicId<ProjectFields>("project", projectId),
    hosts: live(store, "host", projectId),
    containers: live(store, "container", projectId),
    services: live(store, "service", projectId),
    stacks: live(store, "stack", projectId),
    certificates,
    keyOf: (id) => {
      const n = rowIdOf.get(id);
      return n === undefined ? null : store.secretOf(n);
    },
    ipsecKeys: ipsecKeysOf(store, projectId),
  };
}

/** The whole network view of one host, built from the store. Null when the host is unknown. */
export function buildHostState(store: Store, hostId: string, version: number): HostState | null {
  const host = store.getByPublicId("host", hostId);
  if (!host?.projectId) return null;
  return hostStateFrom(loadProjectRows(store, host.projectId), hostId, version);
}

/**
 * The network view of one host from an environment's rows: the host's slice of the managed network,
 * every container and service of the environment (DNS and metadata answer about all of them), every
 * host, and only the certificates of load balancers that run on this host. Pure: one pass per type.
 */
export function hostStateFrom(rows: ProjectRows, hostId: string, version: number): HostState {
  const env = environmentView(rows);
  return {
    type: "hostState",
    version,
    hostId,
    environmentId: rows.projectId,
    containers: env.containers,
    services: env.services,
    hosts: env.hosts,
    ...hostParts(rows, env, hostId),
  };
}

/** The parts of the view every host of an environment shares. */
export interface EnvironmentView {
  containers: StateContainer[];
  services: StateService[];
  hosts: HostState["hosts"];
  portRange: HostState["portRange"];
  /** Load balancer service ids with a container on each host. */
  lbServicesOn: Map<string, Set<string>>;
  /** Certificate id by name. */
  certIdByName: Map<string, string>;
  /** Service rows by public id, and stack names by public id (to project one container again). */
  serviceById: Map<string, Service>;
  stackName: Map<string, string>;
}

/** One container as the view holds it; `svc` is its service's row, `stackName` names stacks by id. */
export function stateContainer(
  c: Container,
  svc: Row<ServiceFields> | undefined,
  stackName: ReadonlyMap<string, string>,
): StateContainer {
  const d = c.data;
  return {
    id: formatId("container", c.id),
    name: c.name ?? "",
    hostId: d.hostId ?? "",
    ip: d.managedIp ?? d.primaryIpAddress ?? null,
    state: c.state,
    healthState: d.healthState ?? null,
    stackName: d.stackId ? (stackName.get(d.stackId) ?? null) : null,
    serviceName: svc?.name ?? null,
    serviceId: d.serviceId ?? null,
    launchConfigName: d.serviceId ? (d.launchConfigName ?? "") : null,
    createIndex: d.createIndex ?? null,
    // The health check travels as the label the agent also puts on the container, so load
    // balancers on other hosts can check the same way the container's own host does.
    labels: d.healthCheck
      ? { ...d.labels, [labelKeys.healthCheck]: JSON.stringify(d.healthCheck) }
      : d.labels,
    ports: portsOf(d),
    links: {},
    dns: d.dns ?? [],
    dnsSearch: d.dnsSearch ?? [],
  };
}

/**
 * One service as the view holds it. `serviceByPath` finds services by `stack/name` (links), and
 * `certIdByName` certificates by name (load balancer rules).
 */
export function stateService(
  s: Service,
  stackName: ReadonlyMap<string, string>,
  serviceByPath: ReadonlyMap<string, string>,
  certIdByName: ReadonlyMap<string, string>,
): StateService {
  const d = s.data;
  const stack = stackName.get(d.stackId) ?? "";
  const resolve = (target: string) => serviceByPath.get(target.includes("/") ? target : `${stack}/${target}`);
  const links: StateService["links"] = [];
  for (const l of [...(d.links ?? []), ...(d.externalLinks ?? [])]) {
    const serviceId = resolve(l.target);
    if (serviceId) links.push({ serviceId, alias: l.alias || (l.target.split("/").at(-1) ?? l.target) });
  }
  return {
    id: formatId("service", s.id),
    name: s.name ?? "",
    stackName: stack,
    kind: d.kind,
    state: s.state,
    healthState: d.healthState,
    scale: d.scale,
    links,
    externalIpAddresses: d.externalIpAddresses ?? [],
    hostname: d.hostname ?? null,
    sidekicks: (d.secondaryLaunchConfigs ?? []).map((lc) => lc.name ?? "").filter(Boolean),
    metadata: d.metadata ?? {},
    labels: d.launchConfig?.labels ?? {},
    lbConfig: d.lbConfig ? resolveLbConfig(d.lbConfig, resolve, (n) => certIdByName.get(n)) : null,
    healthCheck: d.launchConfig?.healthCheck ?? null,
  };
}

/** One host as every view lists it. */
export function stateHost(h: Host): HostState["hosts"][number] {
  return {
    id: formatId("host", h.id),
    name: h.name ?? h.data.hostname,
    agentIp: h.data.agentIpAddress ?? "",
    hostSubnet: h.data.hostSubnet ?? null,
    labels: h.data.labels ?? {},
    state: h.state,
    agentState: h.data.agentState,
  };
}

/** Service ids by `stack/name`, as links name them. */
export function servicePaths(
  serviceById: ReadonlyMap<string, Service>,
  stackName: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, s] of serviceById) out.set(`${stackName.get(s.data.stackId)}/${s.name}`, id);
  return out;
}

/** The parts of the view that differ from host to host. */
export type HostParts = Pick<
  HostState,
  "network" | "portRange" | "certificates" | "acmeChallenges" | "upstreamDns" | "ipsec"
>;

/** What every host of the environment sees alike: containers, services, hosts (one pass per type). */
export function environmentView(rows: ProjectRows): EnvironmentView {
  const stackName = new Map(rows.stacks.map((s) => [formatId("stack", s.id), s.name ?? ""]));
  const serviceById = new Map(rows.services.map((s) => [formatId("service", s.id), s]));
  const serviceByPath = servicePaths(serviceById, stackName);
  const certIdByName = new Map(rows.certificates.map((c) => [c.name ?? "", formatId("certificate", c.id)]));

  const lbServicesOn = new Map<string, Set<string>>();
  const containers: StateContainer[] = rows.containers.map((c) => {
    const d = c.data;
    const svc = d.serviceId ? serviceById.get(d.serviceId) : undefined;
    if (svc && d.hostId && svc.data.kind === "loadBalancerService") {
      const here = lbServicesOn.get(d.hostId) ?? new Set<string>();
      here.add(d.serviceId!);
      lbServicesOn.set(d.hostId, here);
    }
    return stateContainer(c, svc, stackName);
  });

  const services = rows.services.map((s) => stateService(s, stackName, serviceByPath, certIdByName));

  const range = rows.project?.data.servicesPortRange;
  return {
    containers,
    services,
    hosts: rows.hosts.map(stateHost),
    portRange: range ? { start: range.startPort, end: range.endPort } : { ...defaultPortRange },
    lbServicesOn,
    certIdByName,
    serviceById,
    stackName,
  };
}

/** The HTTP-01 challenges pending on the environment's certificates. */
function challengesOf(rows: ProjectRows): AcmeChallenge[] {
  return rows.certificates.flatMap((c) => c.data.acme?.challenges ?? []);
}

/** This host's own parts of the view: its slice, the certificates its balancers serve, its tunnels. */
export function hostParts(
  rows: ProjectRows,
  env: Pick<EnvironmentView, "lbServicesOn" | "certIdByName" | "portRange">,
  hostId: string,
): HostParts {
  const host = rows.hosts.find((h) => formatId("host", h.id) === hostId);
  const subnet = host?.data.hostSubnet;
  const network = subnet
    ? {
        cidr: managedCidr,
        hostSubnet: subnet,
        gateway: gatewayOf(subnet),
        bridgeName: managedBridgeName,
        mtu: 1500,
      }
    : null;
  const wanted = new Set<string>();
  for (const sid of env.lbServicesOn.get(hostId) ?? []) {
    const lb = rows.services.find((s) => formatId("service", s.id) === sid)?.data.lbConfig;
    if (lb) for (const id of lbCertificateRefs(lb, (n) => env.certIdByName.get(n))) wanted.add(id);
  }
  const certificates: HostState["certificates"] = [];
  for (const c of rows.certificates) {
    const id = formatId("certificate", c.id);
    const key = wanted.has(id) ? rows.keyOf(id) : null;
    if (key)
      certificates.push({
        id,
        name: c.name ?? "",
        cert: c.data.cert,
        key,
        certChain: c.data.certChain ?? null,
      });
  }
  // Challenges are public by design (the CA fetches them over plain HTTP): every balancer host gets
  // them all, since a domain's traffic may reach any balancer of the environment.
  const acmeChallenges = (env.lbServicesOn.get(hostId)?.size ?? 0) > 0 ? challengesOf(rows) : [];
  return {
    network,
    portRange: env.portRange,
    certificates,
    acmeChallenges,
    upstreamDns: [],
    ipsec: ipsecViewFor(rows.hosts, hostId, rows.ipsecKeys ?? null),
  };
}

/**
 * Published ports as `[ip:]public:private/proto`; a random public port (0 in the spec) is shown as
 * the port Docker chose once the agent reported it, 0 before.
 */
function portsOf(d: ContainerFields): string[] {
  const chosen = new Map(d.publicEndpoints.map((e) => [`${e.privatePort}/${e.protocol}`, e.port]));
  return d.ports.map((spec) => {
    const [addr, proto = "tcp"] = spec.split("/") as [string, string?];
    const parts = addr.split(":");
    const priv = parts.at(-1) ?? "";
    const given = parts.length >= 2 ? Number(parts.at(-2)) : 0;
    const pub = given || chosen.get(`${priv}/${proto}`) || 0;
    const bind = parts.length === 3 ? `${parts[0]}:` : "";
    return `${bind}${pub}:${priv}/${proto}`;
  });
}
