import { readFileSync } from "node:fs";

/** Linux capability names by bit (linux/capability.h), without CAP_. */
const names = (
  "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE " +
  "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT " +
  "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE " +
  "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ " +
  "PERFMON BPF CHECKPOINT_RESTORE"
).split(" ");

/** The capabilities missing from a CapBnd mask (as `CAP_X`), up to the kernel's last capability. */
export function missingCapabilities(capBnd: bigint, lastCap: number): string[] {
  const missing: string[] = [];
  for (let bit = 0; bit <= Math.min(lastCap, names.length - 1); bit++) {
    if (!((capBnd >> BigInt(bit)) & 1n)) missing.push(`CAP_${names[bit]}`);
  }
  return missing;
}

/**
 * What this process's bounding set lacks, read from `<proc>/self/status` (CapBnd). Empty on a booted
 * CorralOS (PID 1 has every capability), so services get real `Privileged: true`; on this dev
 * machine CAP_SYS_RESOURCE is missing and runc would refuse privileged containers.
 */
export function readMissingCapabilities(proc = "/proc"): string[] {
  try {
    const status = readFileSync(`${proc}/self/status`, "utf8");
    const m = /^CapBnd:\s*([0-9a-f]+)\s*$/im.exec(status);
    const last = Number(readFileSync(`${proc}/sys/kernel/cap_last_cap`, "utf8").trim());
    if (m && Number.isInteger(last)) return missingCapabilities(BigInt(`0x${m[1]}`), last);
  } catch {
    // No /proc: assume nothing is missing, the engine will say otherwise.
  }
  return [];
}
