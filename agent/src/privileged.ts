import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { dockerMessage } from "./docker-errors.ts";

/**
 * `privileged: true` where Docker cannot grant it. Where the capability bounding set lacks some
 * capability (CAP_SYS_RESOURCE on the dev machines), runc fails every privileged container at start
 * with "unable to apply caps". The agent then creates the nearest equivalent instead: every
 * capability actually present, no seccomp/AppArmor confinement, unmasked /proc paths, access to
 * every device, and the cgroup tree writable. Nothing is hard-coded: the set comes from CapBnd.
 */

/** Linux capability names by number (linux/capability.h), without the CAP_ prefix. */
export const capabilityNames = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
] as const;

/** Present and missing capabilities (CAP_ names) of a CapBnd mask, up to the kernel's last capability. */
export function splitCapabilities(mask: bigint, lastCap: number): { present: string[]; missing: string[] } {
  const present: string[] = [];
  const missing: string[] = [];
  // Capabilities newer than this table have no name Docker would accept either; they are left out.
  const last = Math.min(lastCap, capabilityNames.length - 1);
  for (let bit = 0; bit <= last; bit++) {
    const name = `CAP_${capabilityNames[bit]}`;
    if ((mask >> BigInt(bit)) & 1n) present.push(name);
    else missing.push(name);
  }
  return { present, missing };
}

/** The CapBnd mask from the text of /proc/<pid>/status; null when the line is absent. */
export function parseCapBnd(status: string): bigint | null {
  const match = /^CapBnd:\s*([0-9a-f]+)\s*$/im.exec(status);
  return match ? BigInt(`0x${match[1]}`) : null;
}

/** This process's capabilities, read from /proc (every known one when /proc cannot be read). */
export function processCapabilities(): { present: string[]; missing: string[] } {
  try {
    const mask = parseCapBnd(readFileSync("/proc/self/status", "utf8"));
    const lastCap = Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
    if (mask !== null && Number.isInteger(lastCap)) return splitCapabilities(mask, lastCap);
  } catch {
    // Not Linux or no /proc: nothing is known to be missing.
  }
  return splitCapabilities((1n << BigInt(capabilityNames.length)) - 1n, capabilityNames.length - 1);
}

const securityOptions = ["seccomp=unconfined", "apparmor=unconfined"];
const cgroupBind = "/sys/fs/cgroup:/sys/fs/cgroup:rw";

/**
 * The host config that stands in for `Privileged: true`: every capability but the `missing` ones,
 * no confinement, every device, and /sys/fs/cgroup read-write (privileged makes it writable, and
 * Docker-in-Docker needs it). "ALL" minus the missing ones, rather than a list of the present ones,
 * because Docker refuses capability names it does not know (20.10 knows no CAP_BPF), while "ALL"
 * means exactly the ones it knows. The user's cap-add/cap-drop are replaced: privileged ignores them.
 */
export function privilegedEquivalent(hostConfig: Docker.HostConfig, missing: string[]): Docker.HostConfig {
  const binds = hostConfig.Binds ?? [];
  const cgroupTaken = binds.some((bind) => bind.split(":")[1] === "/sys/fs/cgroup");
  return {
    ...hostConfig,
    Privileged: false,
    CapAdd: ["ALL"],
    CapDrop: missing,
    SecurityOpt: [...(hostConfig.SecurityOpt ?? []), ...securityOptions],
    // `--security-opt systempaths=unconfined` is the CLI's name for these; the API refuses the option.
    MaskedPaths: [],
    ReadonlyPaths: [],
    DeviceCgroupRules: [...(hostConfig.DeviceCgroupRules ?? []), "a *:* rwm"],
    Binds: cgroupTaken ? binds : [...binds, cgroupBind],
  };
}

/** True when Docker's start error says the runtime could not grant the capabilities. */
export function isCapabilityRefusal(error: unknown): boolean {
  return /apply caps|operation not permitted/i.test(dockerMessage(error));
}

/**
 * Answers "does `Privileged: true` work on this engine?" by trying it once: a privileged container
 * of `image` whose entrypoint does not exist is created and started. runc applies capabilities
 * before it looks for the program, so a capability refusal means no, any other outcome means yes,
 * and no code of the image ever runs. The answer is kept for the driver's life; a trial that could
 * not run at all is not kept (the real start will then say what is wrong).
 */
export function privilegedTrial(docker: Docker): (image: string) => Promise<boolean> {
  let known: boolean | undefined;
  return async (image) => {
    if (known !== undefined) return known;
    let container: Docker.Container | undefined;
    try {
      container = await docker.createContainer({
        name: `corral-privileged-trial-${Math.random().toString(36).slice(2, 10)}`,
        Image: image,
        Entrypoint: ["/nonexistent-corral-privileged-trial"],
        Cmd: [],
        HostConfig: { Privileged: true, NetworkMode: "none" },
      });
    } catch {
      return true;
    }
    try {
      await container.start();
      known = true;
    } catch (e) {
      known = !isCapabilityRefusal(e);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
    return known;
  };
}
