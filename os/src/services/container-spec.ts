import { createHash } from "node:crypto";
import type Docker from "dockerode";
import type { CorralConfig } from "../config/config-schema.ts";
import { serviceEnvironment, substitute } from "./service-config.ts";
import type { ServiceSpec } from "./service-schema.ts";

/** Labels CorralOS puts on system containers: what they are, and the hash of what they were made from. */
export const labels = {
  service: "io.corral.os.service",
  hash: "io.corral.os.hash",
  scope: "io.rancher.os.scope",
} as const;

/**
 * Splits a string command as Docker's CLI would for the simple cases (quotes group words), with
 * config values substituted in every word.
 */
export function commandWords(cmd: string | string[] | undefined, config: CorralConfig): string[] | undefined {
  if (cmd === undefined) return undefined;
  const list = Array.isArray(cmd)
    ? cmd
    : (cmd.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
  return list.map((w) => substitute(w, config));
}

function labelMap(spec: ServiceSpec): Record<string, string> {
  const raw = spec.labels;
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const line of raw) {
      const eq = line.indexOf("=");
      out[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? "" : line.slice(eq + 1);
    }
  } else if (raw) {
    for (const [k, v] of Object.entries(raw)) out[k] = v === null ? "" : String(v);
  }
  return out;
}

function deviceMapping(text: string): Docker.DeviceMapping {
  const [host = "", container, perms] = text.split(":");
  return { PathOnHost: host, PathInContainer: container || host, CgroupPermissions: perms || "rwm" };
}

/**
 * The privileged part of a host config. With a full bounding set, real `Privileged: true`. Otherwise
 * the nearest equivalent runc accepts: "ALL" capabilities minus the missing ones (Docker refuses names
 * it does not know, "ALL" is what it knows), no seccomp/AppArmor, unmasked /proc, every device, and
 * /sys/fs/cgroup writable (Docker-in-Docker, i.e. User Docker, needs that).
 */
function privileged(host: Docker.HostConfig, missing: readonly string[]): Docker.HostConfig {
  if (missing.length === 0) return { ...host, Privileged: true };
  const binds = host.Binds ?? [];
  const cgroupBound = binds.some((b) => b.split(":")[1] === "/sys/fs/cgroup");
  return {
    ...host,
    CapAdd: ["ALL"],
    CapDrop: [...missing],
    SecurityOpt: [...(host.SecurityOpt ?? []), "seccomp=unconfined", "apparmor=unconfined"],
    MaskedPaths: [],
    ReadonlyPaths: [],
    DeviceCgroupRules: ["a *:* rwm"],
    Binds: cgroupBound ? binds : [...binds, "/sys/fs/cgroup:/sys/fs/cgroup:rw"],
  };
}

/**
 * The System Docker create options of one service. Restart is left to PID 1's supervisor (Docker's
 * own policy would hide crash loops from it), so RestartPolicy is always "no". The hash label lets a
 * reconcile see that config or service.yml changed and the container must be recreated.
 */
export function containerOptions(
  spec: ServiceSpec,
  config: CorralConfig,
  missingCaps: readonly string[],
): Docker.ContainerCreateOptions {
  let host: Docker.HostConfig = {
    NetworkMode: spec.net === "bridge" ? "bridge" : spec.net,
    Binds: [...(spec.volumes ?? []), ...(spec.binds ?? [])],
    RestartPolicy: { Name: "no" },
    Init: false,
  };
  if (spec.pid) host.PidMode = "host";
  if (spec.ipc) host.IpcMode = "host";
  if (spec.uts) host.UTSMode = "host";
  if (spec.volumes_from?.length) host.VolumesFrom = spec.volumes_from;
  if (spec.cap_add?.length) host.CapAdd = spec.cap_add;
  if (spec.cap_drop?.length) host.CapDrop = spec.cap_drop;
  if (spec.security_opt?.length) host.SecurityOpt = spec.security_opt;
  if (spec.devices?.length) host.Devices = spec.devices.map(deviceMapping);
  if (spec.read_only) host.ReadonlyRootfs = true;
  if (spec.tmpfs?.length)
    host.Tmpfs = Object.fromEntries(spec.tmpfs.map((t) => [t.split(":")[0], t.split(":")[1] ?? ""]));
  if (spec.privileged) host = privileged(host, missingCaps);
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Env: serviceEnvironment(spec, config),
    Labels: { ...labelMap(spec), [labels.scope]: "system", [labels.service]: spec.name },
    HostConfig: host,
    StopTimeout: spec.stop_timeout,
  };
  const cmd = commandWords(spec.command, config);
  const entrypoint = commandWords(spec.entrypoint, config);
  if (cmd) options.Cmd = cmd;
  if (entrypoint) options.Entrypoint = entrypoint;
  if (spec.user) options.User = spec.user;
  if (spec.working_dir) options.WorkingDir = spec.working_dir;
  const hash = createHash("sha256").update(JSON.stringify(options)).digest("hex").slice(0, 16);
  options.Labels = { ...options.Labels, [labels.hash]: hash };
  return options;
}
