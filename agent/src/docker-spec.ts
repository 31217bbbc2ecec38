import { type InstanceSpec, labelKeys, type PortBinding } from "@corral/api";
import type Docker from "dockerode";

/**
 * Normalises an image reference for Docker: drops Rancher's `docker:` prefix and adds `:latest`
 * when no tag or digest is given, because the pull API pulls every tag of a bare repository name.
 */
export function normalizeImage(image: string): string {
  const ref = image.startsWith("docker:") ? image.slice("docker:".length) : image;
  if (ref.includes("@")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  // A colon before the last slash belongs to a registry host:port, not to a tag.
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}

/** The Docker network mode for a spec's mode: Corral's `managed` network is a plain bridge for now. */
export function dockerNetworkMode(mode: string): string {
  return mode === "managed" || mode === "" ? "bridge" : mode;
}

/** Splits volume strings into Docker binds (host paths and named volumes) and anonymous volumes. */
export function splitVolumes(volumes: string[]): { binds: string[]; anonymous: Record<string, object> } {
  const binds: string[] = [];
  const anonymous: Record<string, object> = {};
  for (const volume of volumes) {
    // "/c" and "/c:ro" name only a container path; anything with a source before the path is a bind.
    const parts = volume.split(":");
    const first = parts[0] ?? "";
    const isAnonymous =
      parts.length === 1 || (parts.length === 2 && first.startsWith("/") && !parts[1]?.startsWith("/"));
    if (isAnonymous) anonymous[first] = {};
    else binds.push(volume);
  }
  return { binds, anonymous };
}

/** Docker's ExposedPorts and PortBindings for a list of published ports. */
export function portMaps(ports: PortBinding[]): {
  exposed: Record<string, object>;
  bindings: Record<string, { HostIp?: string; HostPort: string }[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const port of ports) {
    const key = `${port.privatePort}/${port.protocol}`;
    exposed[key] = {};
    // An empty HostPort asks Docker for a random free port, which is what publicPort 0 means.
    const binding: { HostIp?: string; HostPort: string } = {
      HostPort: port.publicPort ? String(port.publicPort) : "",
    };
    if (port.bindAddress) binding.HostIp = port.bindAddress;
    const list = bindings[key] ?? [];
    list.push(binding);
    bindings[key] = list;
  }
  return { exposed, bindings };
}

/** The labels a Corral container carries: the user's, plus the ids that let a restarted agent find it. */
export function containerLabels(spec: InstanceSpec, hostId: string): Record<string, string> {
  return {
    ...spec.labels,
    [labelKeys.containerId]: spec.containerId,
    [labelKeys.projectId]: spec.projectId,
    [labelKeys.hostId]: hostId,
  };
}

/** Translates an instance spec into dockerode's create options. */
export function toCreateOptions(spec: InstanceSpec, hostId: string): Docker.ContainerCreateOptions {
  const networkMode = dockerNetworkMode(spec.networkMode);
  const { binds, anonymous } = splitVolumes(spec.volumes);
  const { exposed, bindings } = portMaps(spec.ports);
  // Docker refuses a hostname when the network namespace is shared with the host or another container.
  const sharesUts = networkMode === "host" || networkMode.startsWith("container:");
  const hostConfig: Docker.HostConfig = {
    NetworkMode: networkMode,
    Binds: binds,
    PortBindings: bindings,
  };
  if (spec.restartPolicy) {
    hostConfig.RestartPolicy = {
      Name: spec.restartPolicy.name,
      ...(spec.restartPolicy.maximumRetryCount !== undefined && {
        MaximumRetryCount: spec.restartPolicy.maximumRetryCount,
      }),
    };
  }
  if (spec.memory !== undefined) hostConfig.Memory = spec.memory;
  if (spec.cpuShares !== undefined) hostConfig.CpuShares = spec.cpuShares;
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: normalizeImage(spec.image),
    Labels: containerLabels(spec, hostId),
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Tty: spec.tty,
    OpenStdin: spec.stdinOpen,
    ExposedPorts: exposed,
    Volumes: anonymous,
    HostConfig: hostConfig,
  };
  if (spec.command) options.Cmd = spec.command;
  if (spec.entryPoint) options.Entrypoint = spec.entryPoint;
  if (spec.workingDir) options.WorkingDir = spec.workingDir;
  if (spec.user) options.User = spec.user;
  if (spec.hostname && !sharesUts) options.Hostname = spec.hostname;
  return options;
}
