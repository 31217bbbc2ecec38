import type { HealthCheck, InstanceSpec, PortBinding } from "@corral/api";
import { labelKeys } from "@corral/api";
import { AppError } from "@corral/lib";
import { gatewayOf, managedBridgeName } from "../network/addresses.ts";
import type { ContainerNetworkFields } from "../network/allocation.ts";
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

/** Splits a command string like a shell would for plain words and quotes (no expansion). */
export function splitCommand(command: string | string[] | undefined): string[] | undefined {
  if (command === undefined) return undefined;
  if (Array.isArray(command)) return command;
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of command.matchAll(re)) out.push(m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? m[3] ?? "");
  return out.length ? out : undefined;
}

/** Stored fields of a container. */
export interface ContainerFields extends ContainerNetworkFields {
  description?: string;
  imageUuid: string;
  command?: string[];
  entryPoint?: string[];
  environment: Record<string, string>;
  labels: Record<string, string>;
  ports: string[];
  dataVolumes: string[];
  restartPolicy?: { name: string; maximumRetryCount?: number };
  networkMode: string;
  requestedHostId?: string;
  hostId: string | null;
  workingDir?: string;
  user?: string;
  hostname?: string;
  tty: boolean;
  stdinOpen: boolean;
  memory?: number;
  cpuShares?: number;
  pullPolicy: "missing" | "always" | "never";
  startOnCreate: boolean;
  externalId: string | null;
  primaryIpAddress: string | null;
  exitCode: number | null;
  startCount: number;
  publicEndpoints: { port: number; privatePort: number; protocol: string; bindAddress?: string }[];
  transitioningMessage?: string;
  /** Launch config fields services pass through to Docker (see LaunchConfig). */
  volumesFrom?: string[];
  healthCheck?: HealthCheck;
  expose?: string[];
  domainName?: string;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  devices?: string[];
  dns?: string[];
  dnsSearch?: string[];
  extraHosts?: string[];
  logConfig?: { driver: string; config: Record<string, string> };
  stopSignal?: string;
  stopTimeout?: number;
  memoryReservation?: number;
  milliCpuReservation?: number;
  /** How many times creation was retried with another managed address (see markForeignAddress). */
  addressRetries?: number;
  /** The name the Docker container was created with, when the record was renamed since. */
  dockerName?: string;
  /** Health from the agent's checks: null when the container has no health check. */
  healthState?: "initializing" | "healthy" | "unhealthy" | null;
  healthReason?: string;
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
    containerId: id,
    projectId,
    name: c.dockerName ?? name,
    image: c.imageUuid.replace(/^docker:/, ""),
    command: c.command,
    entryPoint: c.entryPoint,
    environment: c.environment,
    labels: {
      ...c.labels,
      ...(installId ? { [labelKeys.installId]: installId } : {}),
      [labelKeys.containerId]: id,
      [labelKeys.projectId]: projectId,
      ...(c.hostId ? { [labelKeys.hostId]: c.hostId } : {}),
    },
    ports: c.ports.map(parsePort),
    volumes: c.dataVolumes,
    restartPolicy: c.restartPolicy,
    networkMode: c.networkMode,
    workingDir: c.workingDir,
    user: c.user,
    hostname: c.hostname,
    tty: c.tty,
    stdinOpen: c.stdinOpen,
    memory: c.memory,
    cpuShares: c.cpuShares,
    pullPolicy: c.pullPolicy,
    volumesFrom: c.volumesFrom,
    healthCheck: c.healthCheck,
    expose: c.expose,
    domainName: c.domainName,
    privileged: c.privileged,
    capAdd: c.capAdd,
    capDrop: c.capDrop,
    devices: c.devices,
    dns: resolver.dns,
    dnsSearch: resolver.dnsSearch,
    extraHosts: c.extraHosts,
    logConfig: c.logConfig,
    stopSignal: c.stopSignal,
    stopTimeout: c.stopTimeout,
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
