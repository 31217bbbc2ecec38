import { type InstanceSpec, labelKeys, type PortBinding } from "@corral/api";
import { AppError } from "@corral/lib";
import type Docker from "dockerode";
import { applyManagedNetwork } from "./network/managed-spec.ts";

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

/**
 * The Docker network mode for a spec's mode. `managed` is Docker's default bridge here; a spec that
 * names its managed network is moved onto that network by applyManagedNetwork.
 */
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

/**
 * Binds whose named volume has a template become volume mounts, which carry the driver and its
 * options (Docker makes the volume with them when it does not exist yet). A per-container volume
 * is named `<volume>_<container name>`, so every container of a service gets its own.
 */
export function templatedMounts(
  binds: string[],
  spec: Pick<InstanceSpec, "name" | "volumeTemplates">,
): { binds: string[]; mounts: Docker.MountSettings[] } {
  const templates = spec.volumeTemplates ?? {};
  const rest: string[] = [];
  const mounts: Docker.MountSettings[] = [];
  for (const bind of binds) {
    const [source = "", target = "", mode = ""] = bind.split(":");
    const t = Object.hasOwn(templates, source) ? templates[source] : undefined;
    if (!t) {
      rest.push(bind);
      continue;
    }
    const modes = mode.split(",");
    mounts.push({
      Type: "volume",
      Source: t.perContainer ? `${source}_${spec.name}` : source,
      Target: target,
      ReadOnly: modes.includes("ro"),
      VolumeOptions: {
        NoCopy: modes.includes("nocopy"),
        Labels: {},
        DriverConfig: { Name: t.driver, Options: t.driverOpts },
      },
    });
  }
  return { binds: rest, mounts };
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

/**
 * Docker's ExposedPorts keys for `expose` entries ("80", "53/udp", "8000-8010/tcp"); tcp when no
 * protocol is given, as in `docker run --expose`. A malformed entry is an InvalidOption error.
 */
export function exposedPorts(expose: string[]): Record<string, object> {
  const exposed: Record<string, object> = {};
  for (const entry of expose) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(entry.trim());
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || first < 1 || last > 65535 || last < first)
      throw new AppError("InvalidOption", `invalid expose entry "${entry}"`);
    const proto = (match[3] ?? "tcp").toLowerCase();
    for (let port = first; port <= last; port++) exposed[`${port}/${proto}`] = {};
  }
  return exposed;
}

/** True for a device cgroup permission string: some of r, w, m, each at most once. */
function isDeviceMode(text: string): boolean {
  return /^[rwm]{1,3}$/.test(text) && new Set(text).size === text.length;
}

/**
 * Docker's device mapping for "/dev/x", "/dev/x:/dev/y", "/dev/x:rw" or "/dev/x:/dev/y:rwm", read
 * the way the Docker CLI reads `--device` (a second part that is a mode is the mode, not a path).
 */
export function deviceMapping(device: string): Docker.DeviceMapping {
  const parts = device.split(":");
  const [source = "", second, third] = parts;
  let target = source;
  let mode = "rwm";
  if (parts.length === 3 && second && third) {
    target = second;
    mode = third;
  } else if (parts.length === 2 && second) {
    if (isDeviceMode(second)) mode = second;
    else target = second;
  }
  if (parts.length > 3 || !source.startsWith("/") || !target.startsWith("/") || !isDeviceMode(mode))
    throw new AppError("InvalidOption", `invalid device "${device}"`);
  return { PathOnHost: source, PathInContainer: target, CgroupPermissions: mode };
}

/**
 * The labels a Corral container carries: the user's, plus the ids that let a restarted agent find
 * it, plus its health check (JSON) so a restarted agent resumes checking it without the server.
 */
export function containerLabels(spec: InstanceSpec, hostId: string): Record<string, string> {
  return {
    ...spec.labels,
    [labelKeys.containerId]: spec.containerId,
    [labelKeys.projectId]: spec.projectId,
    [labelKeys.hostId]: hostId,
    ...(spec.healthCheck && { [labelKeys.healthCheck]: JSON.stringify(spec.healthCheck) }),
  };
}

/** Sets the HostConfig fields of the optional security, device, DNS and logging settings. */
function applyHostOptions(hostConfig: Docker.HostConfig, spec: InstanceSpec, ownNetwork: boolean): void {
  if (spec.volumesFrom?.length) hostConfig.VolumesFrom = spec.volumesFrom;
  if (spec.privileged) hostConfig.Privileged = true;
  if (spec.capAdd?.length) hostConfig.CapAdd = spec.capAdd;
  if (spec.capDrop?.length) hostConfig.CapDrop = spec.capDrop;
  if (spec.devices?.length) hostConfig.Devices = spec.devices.map(deviceMapping);
  // A container joining another's network namespace uses that one's resolv.conf and hosts file:
  // Docker refuses these settings then, so they are left to the namespace's owner.
  if (ownNetwork) {
    if (spec.dns?.length) hostConfig.Dns = spec.dns;
    if (spec.dnsSearch?.length) hostConfig.DnsSearch = spec.dnsSearch;
    if (spec.extraHosts?.length) hostConfig.ExtraHosts = spec.extraHosts;
  }
  if (spec.logConfig) hostConfig.LogConfig = { Type: spec.logConfig.driver, Config: spec.logConfig.config };
  applyNamespaces(hostConfig, spec);
}

/**
 * Sets host namespaces, confinement and limits. The server has already held each against the
 * environment's container policy: what arrives here is applied, never dropped.
 */
function applyNamespaces(hostConfig: Docker.HostConfig, spec: InstanceSpec): void {
  if (spec.pidMode) hostConfig.PidMode = spec.pidMode;
  if (spec.ipcMode) hostConfig.IpcMode = spec.ipcMode;
  if (spec.uts) hostConfig.UTSMode = spec.uts;
  if (spec.securityOpt?.length) hostConfig.SecurityOpt = spec.securityOpt;
  if (spec.ulimits?.length)
    hostConfig.Ulimits = spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  // Docker itself refuses non-namespaced sysctls, and net.* ones outside the container's own network.
  if (spec.sysctls && Object.keys(spec.sysctls).length) hostConfig.Sysctls = spec.sysctls;
  if (spec.tmpfs && Object.keys(spec.tmpfs).length) hostConfig.Tmpfs = spec.tmpfs;
  if (spec.shmSize !== undefined) hostConfig.ShmSize = spec.shmSize;
  if (spec.readOnly) hostConfig.ReadonlyRootfs = true;
}

/** Translates an instance spec into dockerode's create options. */
export function toCreateOptions(spec: InstanceSpec, hostId: string): Docker.ContainerCreateOptions {
  const networkMode = dockerNetworkMode(spec.networkMode);
  const split = splitVolumes(spec.volumes);
  const { binds, mounts } = templatedMounts(split.binds, spec);
  const anonymous = split.anonymous;
  const { exposed, bindings } = portMaps(spec.ports);
  const joinsContainer = networkMode.startsWith("container:");
  // Docker refuses a hostname when the network namespace is shared with the host or another container.
  const sharesUts = networkMode === "host" || joinsContainer || spec.uts === "host";
  // Docker refuses exposing ports in another container's namespace; that container exposes them.
  if (spec.expose?.length && !joinsContainer) Object.assign(exposed, exposedPorts(spec.expose));
  const hostConfig: Docker.HostConfig = {
    NetworkMode: networkMode,
    Binds: binds,
    PortBindings: bindings,
  };
  if (mounts.length > 0) hostConfig.Mounts = mounts;
  if (spec.volumeDriver) hostConfig.VolumeDriver = spec.volumeDriver;
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
  applyHostOptions(hostConfig, spec, !joinsContainer);
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
  if (spec.domainName) options.Domainname = spec.domainName;
  if (spec.stopSignal) options.StopSignal = spec.stopSignal;
  if (spec.stopTimeout !== undefined) options.StopTimeout = spec.stopTimeout;
  applyManagedNetwork(options, spec);
  return options;
}
