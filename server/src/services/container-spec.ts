import type { InstanceSpec, LaunchConfig, PortBinding } from "@corral/api";
import { labelKeys } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import { rowFieldsOf, specFieldsOf } from "../model/launch-fields.ts";
import { gatewayOf, managedBridgeName } from "../network/addresses.ts";
import type { Allocation } from "../network/allocation.ts";
import { managedResolver } from "../network/dns-config.ts";

/** Parses "[ip:][public:]private[/proto]" into a binding (public 0 means a random port). */
export function parsePort(spec: string): PortBinding {
  const [addr, proto = "tcp"] = spec.split("/") as [string, string?];
  const parts = addr.split(":");
  const privatePort = Number(parts.at(-1));
  const publicPort = parts.length >= 2 ? Number(parts.at(-2)) : 0;
  const bindAddress = parts.length === 3 ? parts[0] : undefined;
  if (!(privatePort >= 1 && privatePort <= 65535) || !(publicPort >= 0 && publicPort <= 65535)) {
    throw new AppError("InvalidFormat", `port ${spec}: ports must be between 1 and 65535`, {
      detail: { field: "ports" },
    });
  }
  return {
    privatePort,
    publicPort,
    protocol: proto === "udp" ? "udp" : "tcp",
    ...(bindAddress ? { bindAddress } : {}),
  };
}

/**
 * Port specs as published: fixed public ports without an address get the IP the scheduler chose
 * for them, so the host binds exactly what the scheduler counted (ports are per host IP).
 */
export function bindPorts(specs: string[], ip: string | undefined): string[] {
  if (!ip) return specs;
  return specs.map((spec) => {
    const p = parsePort(spec);
    return p.publicPort && !p.bindAddress ? `${ip}:${p.publicPort}:${p.privatePort}/${p.protocol}` : spec;
  });
}

/** Splits a command string like a shell would for plain words and quotes (no expansion). */
export function splitCommand(command: string | string[] | undefined): string[] | undefined {
  if (command === undefined) return undefined;
  if (Array.isArray(command)) return command;
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of command.matchAll(re)) out.push(m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? m[3] ?? "");
  return out.length ? out : undefined;
}

/** What placing a container decided, beyond its launch config. */
export interface ContainerPlacement {
  hostId: string;
  /** The ports as published on that host (public ports assigned, bound to the IP the scheduler chose). */
  ports: string[];
  /** The launch config's labels plus any the server adds (a service unit's). */
  labels: Record<string, string>;
  /** The Docker name of another member of its unit (sidekick references); none for a standalone one. */
  nameOf?: (member: string) => string;
  /**
   * Its `dataVolumesFrom` resolved to containers of its environment on its host (volumes-from.ts):
   * never the entries as written, which Docker would look up among every container of the host.
   */
  volumesFrom: string[];
  /** Its managed address, when on the managed network. */
  address: Allocation | null;
  startOnCreate: boolean;
  transitioningMessage: string;
}

/**
 * The row of a new container made from a launch config: the one mapping standalone containers and
 * service units share. Rancher's `io.rancher.container.pull_image=always` label wins over pullPolicy.
 */
export function newContainerFields(lc: LaunchConfig, placed: ContainerPlacement): ContainerFields {
  const nameOf = placed.nameOf ?? ((member: string) => member);
  const volumesFrom = [...lc.dataVolumesFromLaunchConfigs.map(nameOf), ...placed.volumesFrom];
  return {
    ...rowFieldsOf(lc),
    labels: placed.labels,
    ports: placed.ports,
    networkMode: networkModeOf(lc, nameOf),
    pullPolicy: lc.labels["io.rancher.container.pull_image"] === "always" ? "always" : lc.pullPolicy,
    volumesFrom: volumesFrom.length > 0 ? volumesFrom : undefined,
    healthState: lc.healthCheck ? "initializing" : null,
    hostId: placed.hostId,
    startOnCreate: placed.startOnCreate,
    externalId: null,
    primaryIpAddress: placed.address?.managedIp ?? null,
    managedIp: placed.address?.managedIp ?? null,
    ...(placed.address ? { managedSubnet: placed.address.managedSubnet } : {}),
    exitCode: null,
    startCount: 0,
    publicEndpoints: endpointsOf(placed.ports.map(parsePort)),
    transitioningMessage: placed.transitioningMessage,
  };
}

/** The network mode of a new container: joining a sidekick's namespace names it by its Docker name. */
export function networkModeOf(lc: LaunchConfig, nameOf: (member: string) => string = (m) => m): string {
  return lc.networkLaunchConfig !== undefined
    ? `container:${nameOf(lc.networkLaunchConfig)}`
    : lc.networkMode;
}

/** The spec the agent receives to create a container (labels tie it back to its record). */
export function instanceSpec(
  id: string,
  projectId: string,
  name: string,
  c: ContainerFields,
  installId?: string | null,
): InstanceSpec {
  // Managed containers get their allocated address on the host's bridge and the host's DNS server.
  const managed = c.managedIp && c.managedSubnet ? c.managedSubnet : null;
  const resolver = managed ? managedResolver(c.labels, c) : { dns: c.dns, dnsSearch: c.dnsSearch };
  return {
    ...specFieldsOf(c),
    containerId: id,
    projectId,
    name: c.dockerName ?? name,
    image: c.imageUuid.replace(/^docker:/, ""),
    labels: {
      ...c.labels,
      ...(installId ? { [labelKeys.installId]: installId } : {}),
      [labelKeys.containerId]: id,
      [labelKeys.projectId]: projectId,
      ...(c.hostId ? { [labelKeys.hostId]: c.hostId } : {}),
    },
    ports: c.ports.map(parsePort),
    volumes: c.dataVolumes,
    volumesFrom: c.volumesFrom,
    dns: resolver.dns,
    dnsSearch: resolver.dnsSearch,
    ...(managed
      ? {
          ipAddress: c.managedIp!,
          managedNetwork: { bridgeName: managedBridgeName, subnet: managed, gateway: gatewayOf(managed) },
        }
      : {}),
  };
}

/** Container states that count as present on their host (not on their way out). */
export const presentContainerStates = [
  "creating",
  "starting",
  "running",
  "stopping",
  "stopped",
  "restarting",
  "error",
];

/** The public endpoints of published ports (those with a public side). */
export function endpointsOf(bindings: PortBinding[]): ContainerFields["publicEndpoints"] {
  return bindings
    .filter((p) => p.publicPort)
    .map((p) => ({
      port: p.publicPort!,
      privatePort: p.privatePort,
      protocol: p.protocol,
      ...(p.bindAddress ? { bindAddress: p.bindAddress } : {}),
    }));
}
