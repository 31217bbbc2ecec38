import { type ContainerObservation, labelKeys, type PortBinding } from "@corral/api";
import type Docker from "dockerode";
import type { CheckTarget, ContainerStats } from "./driver.ts";

const states = new Set<ContainerObservation["state"]>([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
]);

/** Maps Docker's state word onto the protocol's closed set; an unknown word is reported as dead. */
export function mapState(state: string | undefined): ContainerObservation["state"] {
  const word = (state ?? "").toLowerCase() as ContainerObservation["state"];
  return states.has(word) ? word : "dead";
}

/** The first IP address of any network the container is on. */
function firstIp(
  settings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> } | undefined,
) {
  for (const network of Object.values(settings?.Networks ?? {})) {
    if (network?.IPAddress) return network.IPAddress;
  }
  return settings?.IPAddress || undefined;
}

/** Protocol ports from Docker's "80/tcp" -> [{HostIp, HostPort}] map, one per private/public pair. */
export function portsFromMap(
  map: Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined,
) {
  const ports: PortBinding[] = [];
  const seen = new Set<string>();
  for (const [key, bindings] of Object.entries(map ?? {})) {
    const [portText, proto] = key.split("/");
    const privatePort = Number(portText);
    if (!bindings || !(privatePort >= 1 && privatePort <= 65535) || (proto !== "tcp" && proto !== "udp"))
      continue;
    for (const binding of bindings) {
      const publicPort = Number(binding.HostPort ?? 0) || 0;
      // Docker lists the same publication once for 0.0.0.0 and once for ::; the server needs it once.
      const dedupe = `${privatePort}/${proto}/${publicPort}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      const port: PortBinding = { privatePort, publicPort, protocol: proto };
      const ip = binding.HostIp;
      if (ip && ip !== "0.0.0.0" && ip !== "::") port.bindAddress = ip.slice(0, 64);
      ports.push(port);
    }
  }
  return ports.slice(0, 512);
}

/** The observation of a container from `docker inspect`, or null when it is not a Corral container. */
export function observeInspect(info: Docker.ContainerInspectInfo): ContainerObservation | null {
  const containerId = info.Config?.Labels?.[labelKeys.containerId];
  if (!containerId || containerId.length > 32) return null;
  const state = mapState(info.State?.Status);
  const observation: ContainerObservation = {
    containerId,
    dockerId: info.Id,
    name: info.Name.replace(/^\//, "").slice(0, 256),
    state,
  };
  if (state === "exited" || state === "dead") observation.exitCode = info.State.ExitCode;
  // Docker reports the zero time for a container that never started.
  if (info.State?.StartedAt && !info.State.StartedAt.startsWith("0001-"))
    observation.startedAt = info.State.StartedAt;
  const ip = firstIp(info.NetworkSettings as never);
  if (ip) observation.ipAddress = ip;
  // A stopped container has no live ports; its configured bindings are what it will publish.
  const live = portsFromMap(info.NetworkSettings?.Ports as never);
  observation.ports = live.length > 0 ? live : portsFromMap(info.HostConfig?.PortBindings);
  return observation;
}

/** The observation of a container from `docker ps` alone (used when inspect lost a race with removal). */
export function observeListed(info: Docker.ContainerInfo): ContainerObservation | null {
  const containerId = info.Labels?.[labelKeys.containerId];
  if (!containerId || containerId.length > 32) return null;
  const state = mapState(info.State);
  const observation: ContainerObservation = {
    containerId,
    dockerId: info.Id,
    name: (info.Names?.[0] ?? "").replace(/^\//, "").slice(0, 256),
    state,
  };
  const exited = /^Exited \((-?\d+)\)/.exec(info.Status ?? "");
  if (exited) observation.exitCode = Number(exited[1]);
  const ip = firstIp(info.NetworkSettings as never);
  if (ip) observation.ipAddress = ip;
  return observation;
}

/** Where a container's services listen: its first network IP, or loopback with host networking. */
export function networkAddress(info: Docker.ContainerInspectInfo): string | undefined {
  if (info.HostConfig?.NetworkMode === "host") return "127.0.0.1";
  return firstIp(info.NetworkSettings as never);
}

/**
 * A container as a health check target, or null when it is not managed or has no check label.
 * `peerAddress` is the address of the container whose network namespace this one joined.
 */
export function checkTargetOf(info: Docker.ContainerInspectInfo, peerAddress?: string): CheckTarget | null {
  const labels = info.Config?.Labels ?? {};
  const containerId = labels[labelKeys.containerId];
  const healthCheck = labels[labelKeys.healthCheck];
  if (!containerId || containerId.length > 32 || !healthCheck) return null;
  const target: CheckTarget = {
    containerId,
    dockerId: info.Id,
    running: info.State?.Running === true,
    healthCheck,
  };
  if (info.State?.StartedAt && !info.State.StartedAt.startsWith("0001-"))
    target.startedAt = info.State.StartedAt;
  const address = info.HostConfig?.NetworkMode?.startsWith("container:") ? peerAddress : networkAddress(info);
  if (address) target.address = address;
  return target;
}

/** Sums a numeric field over an object's values, treating absent ones as 0. */
function sum<T>(items: T[] | null | undefined, pick: (item: T) => number | undefined): number {
  return (items ?? []).reduce((total, item) => total + (pick(item) ?? 0), 0);
}

/** Computes the stats reply from one Docker stats sample, with the Docker CLI's formulas. */
export function statsFromSample(sample: Docker.ContainerStats): ContainerStats {
  const cpu = sample.cpu_stats;
  const pre = sample.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cores = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cores * 100 : 0;
  const memory = sample.memory_stats ?? ({} as Docker.MemoryStats);
  const memStats = (memory.stats ?? {}) as Record<string, number | undefined>;
  // cgroup v2 reports inactive_file, v1 total_inactive_file; both are reclaimable cache.
  const cache = memStats.inactive_file ?? memStats.total_inactive_file ?? 0;
  const memoryUsage = Math.max(0, (memory.usage ?? 0) - cache);
  const networks = Object.values(sample.networks ?? {});
  const io = sample.blkio_stats?.io_service_bytes_recursive ?? [];
  const op = (name: string) => sum(io, (e) => (e.op.toLowerCase() === name ? e.value : 0));
  return {
    cpuPercent: Math.round(cpuPercent * 100) / 100,
    memoryUsage,
    memoryLimit: memory.limit ?? 0,
    networkRxBytes: sum(networks, (n) => n.rx_bytes),
    networkTxBytes: sum(networks, (n) => n.tx_bytes),
    blockReadBytes: op("read"),
    blockWriteBytes: op("write"),
    pids: sample.pids_stats?.current ?? 0,
  };
}
