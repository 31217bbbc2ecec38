import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";

/** Reads `length` bytes at `offset` of a file or device; short or failed reads give what was read. */
function readAt(path: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The filesystem label of a device, from the ext2/3/4 superblock or an ISO 9660 / vfat volume id. */
export function readLabel(device: string): string | undefined {
  const sb = readAt(device, 1024, 256);
  if (sb.length >= 136 && sb.readUInt16LE(56) === 0xef53)
    return sb.subarray(120, 136).toString("latin1").replace(/\0.*$/s, "");
  const iso = readAt(device, 32768, 72);
  if (iso.length >= 72 && iso.subarray(1, 6).toString("latin1") === "CD001")
    return iso.subarray(40, 72).toString("latin1").trim();
  const boot = readAt(device, 0, 90);
  if (boot.length >= 90 && boot.subarray(82, 87).toString("latin1") === "FAT32")
    return boot.subarray(71, 82).toString("latin1").trim();
  if (boot.length >= 90 && boot.subarray(54, 57).toString("latin1") === "FAT")
    return boot.subarray(43, 54).toString("latin1").trim();
  return undefined;
}

/** Block devices as /dev paths, from /sys/class/block (partitions included). */
export function listBlockDevices(root = "/"): string[] {
  try {
    return readdirSync(join(root, "sys/class/block"))
      .filter((n) => !/^(loop|ram|zram)/.test(n))
      .sort()
      .map((n) => join(root, "dev", n));
  } catch {
    return [];
  }
}

/** The first device whose label is one of `labels` (case-insensitive, as blkid matches NoCloud's cidata). */
export function findByLabel(labels: readonly string[], devices: readonly string[]): string | undefined {
  const wanted = labels.map((l) => l.toLowerCase());
  return devices.find((d) => wanted.includes((readLabel(d) ?? "").toLowerCase()));
}

/** True when the first MiB of the device is all zeros: the only disks autoformat may touch. */
export function isBlank(device: string): boolean {
  const head = readAt(device, 0, 1024 * 1024);
  return head.length > 0 && head.every((b) => b === 0);
}
