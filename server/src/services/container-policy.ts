import { posix } from "node:path";
import { type ContainerPolicy, containerPolicySchema, type LaunchConfig, type StackSpec } from "@corral/api";
import { AppError } from "@corral/lib";

/** One thing a launch config asks for that the policy refuses. */
export interface PolicyViolation {
  /** The launch config field, with the path to it (`launchConfig.privileged`, `dataVolumes[1]`). */
  field: string;
  /** What was asked for. */
  value: unknown;
  /** The policy rule that refuses it. */
  policy: keyof ContainerPolicy;
  message: string;
}

/** The policy stored on a project: absent means the default for new environments. */
export function projectPolicy(data: { containerPolicy?: unknown }): ContainerPolicy {
  const parsed = containerPolicySchema.safeParse(data.containerPolicy ?? {});
  // A stored policy that no longer parses is held as the default: never looser than what was set.
  return parsed.success ? parsed.data : containerPolicySchema.parse({});
}

/** Normalises a capability as Docker does: upper case, without the CAP_ prefix. */
export function capabilityOf(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith("CAP_") ? upper.slice(4) : upper;
}

/** True when `path` is `prefix` or lies under it (at a path boundary: /srv does not cover /srv2). */
export function isUnder(path: string, prefix: string): boolean {
  const p = posix.normalize(prefix).replace(/\/+$/, "");
  if (p === "") return true; // "/"
  return path === p || path.startsWith(`${p}/`);
}

/**
 * The host bind mounts of a volume list, read as the agent gives them to Docker (`/src:/dst[:mode]`;
 * `/path` and `/path:ro` alone are anonymous volumes, `name:/dst` a named volume). The source is
 * normalised (`/srv/../etc` is `/etc`), as the kernel resolves it.
 */
export function hostBinds(volumes: string[]): { index: number; source: string; readOnly: boolean }[] {
  const out: { index: number; source: string; readOnly: boolean }[] = [];
  volumes.forEach((volume, index) => {
    const parts = volume.split(":");
    const first = parts[0] ?? "";
    const anonymous =
      parts.length === 1 || (parts.length === 2 && first.startsWith("/") && !parts[1]?.startsWith("/"));
    if (anonymous || !first.startsWith("/")) return;
    const modes = (parts.length > 2 ? parts.slice(2).join(":") : "").split(",");
    out.push({ index, source: posix.normalize(first), readOnly: modes.includes("ro") });
  });
  return out;
}

/** `securityOpt` entries that only tighten confinement, allowed whatever the policy. */
function tightens(opt: string): boolean {
  return /^no-new-privileges([:=]true)?$/i.test(opt.trim());
}

/**
 * Everything in one launch config that `policy` refuses: `at` prefixes each field's path, `label`
 * each message (`service web: `).
 */
export function policyViolations(
  policy: ContainerPolicy,
  lc: LaunchConfig,
  at = "",
  label = "",
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const refuse = (field: string, value: unknown, rule: keyof ContainerPolicy, what: string) =>
    out.push({
      field: `${at}${field}`,
      value,
      policy: rule,
      message: `${label}${at}${field}: ${what} is refused by this environment's container policy (${rule}); an admin can change the environment's containerPolicy`,
    });
  if (lc.privileged && !policy.allowPrivileged)
    refuse("privileged", true, "allowPrivileged", "a privileged container");
  if (lc.networkMode === "host" && !policy.allowHostNetwork)
    refuse("networkMode", "host", "allowHostNetwork", "the host's network namespace");
  if (lc.pidMode === "host" && !policy.allowHostPid)
    refuse("pidMode", "host", "allowHostPid", "the host's process namespace");
  if (lc.ipcMode === "host" && !policy.allowHostIpc)
    refuse("ipcMode", "host", "allowHostIpc", "the host's IPC namespace");
  if (lc.uts === "host" && !policy.allowHostUts)
    refuse("uts", "host", "allowHostUts", "the host's UTS (hostname) namespace");
  for (const bind of hostBinds(lc.dataVolumes)) {
    const rules = policy.allowedHostPaths.filter((r) => isUnder(bind.source, r.pathPrefix));
    const ok = rules.some((r) => !r.readOnly || bind.readOnly);
    if (!ok) {
      const what =
        rules.length > 0
          ? `a writable bind mount of host path ${bind.source} (allowed read-only only)`
          : `a bind mount of host path ${bind.source}`;
      refuse(`dataVolumes[${bind.index}]`, lc.dataVolumes[bind.index], "allowedHostPaths", what);
    }
  }
  const caps = new Set(policy.allowedCapabilities.map(capabilityOf));
  lc.capAdd.forEach((cap, i) => {
    if (!caps.has("ALL") && !caps.has(capabilityOf(cap)))
      refuse(`capAdd[${i}]`, cap, "allowedCapabilities", `adding capability ${capabilityOf(cap)}`);
  });
  lc.devices.forEach((device, i) => {
    const source = posix.normalize(device.split(":")[0] ?? "");
    if (!policy.allowedDevices.some((prefix) => isUnder(source, prefix)))
      refuse(`devices[${i}]`, device, "allowedDevices", `host device ${source}`);
  });
  lc.securityOpt.forEach((opt, i) => {
    if (!tightens(opt) && !policy.allowSecurityOptOverrides)
      refuse(`securityOpt[${i}]`, opt, "allowSecurityOptOverrides", `security option "${opt}"`);
  });
  return out;
}

/**
 * The host folders that top-level stack volumes bind (driver `local` with `o: bind` and a
 * `device`), which give a container the host path as surely as a bind mount does.
 */
export function stackVolumeViolations(
  policy: ContainerPolicy,
  volumes: StackSpec["volumes"],
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const [name, v] of Object.entries(volumes)) {
    const options = (v.driverOpts.o ?? "").split(",").map((o) => o.trim());
    const device = v.driverOpts.device;
    if (!options.includes("bind") || !device) continue;
    const source = posix.normalize(device);
    const readOnly = options.includes("ro");
    const ok = policy.allowedHostPaths.some(
      (r) => isUnder(source, r.pathPrefix) && (!r.readOnly || readOnly),
    );
    if (!ok)
      out.push({
        field: `volumes.${name}.driver_opts.device`,
        value: device,
        policy: "allowedHostPaths",
        message: `volumes.${name}: a bind of host path ${source} is refused by this environment's container policy (allowedHostPaths); an admin can change the environment's containerPolicy`,
      });
  }
  return out;
}

/** Throws a 422 naming every refused field and its policy rule (the first one in the message). */
export function assertAllowed(violations: PolicyViolation[]): void {
  const first = violations[0];
  if (!first) return;
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  throw new AppError("InvalidOption", `${first.message}${more}`, {
    detail: violations.slice(0, 50).map((v) => ({ ...v, rancherCode: "InvalidOption" })),
  });
}

/** Everything the launch configs of one service ask for that `policy` refuses. */
export function serviceViolations(
  policy: ContainerPolicy,
  spec: { name?: string; launchConfig?: LaunchConfig; secondaryLaunchConfigs?: LaunchConfig[] },
): PolicyViolation[] {
  const label = spec.name ? `service ${spec.name}: ` : "";
  const out = spec.launchConfig ? policyViolations(policy, spec.launchConfig, "launchConfig.", label) : [];
  for (const [i, lc] of (spec.secondaryLaunchConfigs ?? []).entries())
    out.push(...policyViolations(policy, lc, `secondaryLaunchConfigs[${i}].`, label));
  return out;
}
