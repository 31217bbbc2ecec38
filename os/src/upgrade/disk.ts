// The installed disk as PID 1 sees it after boot: CORRAL_BOOT (GRUB's files and grubenv) and the
// slot partitions CORRAL_A and CORRAL_B, found by label. Nothing of them is mounted while the
// system runs (the root is the initramfs): each operation mounts what it needs and unmounts it.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Slot } from "../install/plan.ts";
import { findByLabel, listBlockDevices } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import { readSlotEnv, type SlotEnv } from "./grubenv.ts";

/** The partitions of an installed disk. */
export interface DiskLayout {
  boot: string;
  slots: Record<Slot, string>;
}

/** What slot.json in a slot partition says. */
export interface SlotInfo {
  slot: Slot;
  version: string;
  installed: string;
  sha256?: Record<string, string>;
}

/** Finds the installed disk's partitions by label; undefined when this machine has none. */
export function findLayout(host: Host, devices = listBlockDevices(host.root)): DiskLayout | undefined {
  const rel = (d: string | undefined) => (d ? `/dev/${d.split("/").pop()}` : undefined);
  const boot = rel(findByLabel(["CORRAL_BOOT"], devices));
  const a = rel(findByLabel(["CORRAL_A"], devices));
  const b = rel(findByLabel(["CORRAL_B"], devices));
  if (!boot || !a || !b) return undefined;
  return { boot, slots: { A: a, B: b } };
}

/** The slot this boot came from (`corral.slot=` on the kernel command line), if any. */
export function bootedSlot(host: Host): Slot | undefined {
  try {
    const m = /(?:^|\s)corral\.slot=([AB])(?:\s|$)/.exec(
      readFileSync(join(host.root, "proc/cmdline"), "utf8"),
    );
    return m?.[1] as Slot | undefined;
  } catch {
    return undefined;
  }
}

/** The running build's version (VERSION_ID of /etc/os-release). */
export function runningVersion(host: Host): string {
  try {
    const m = /^VERSION_ID="?([^"\n]*)"?$/m.exec(readFileSync(join(host.root, "etc/os-release"), "utf8"));
    return m?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Mounts `dev` at a fresh point under /run/corral/mnt, runs `fn` with that path, unmounts. */
export async function withMounted<T>(
  host: Host,
  dev: string,
  opts: { fat?: boolean; readOnly?: boolean },
  fn: (at: string) => Promise<T>,
): Promise<T> {
  const at = `/run/corral/mnt/${dev.split("/").pop()}`;
  mkdirSync(join(host.root, at), { recursive: true });
  const o = [opts.readOnly ? "ro" : "rw"];
  if (opts.fat) {
    // The charset the kernel defaults to has no module in the image (see install.ts).
    await host.run("modprobe", ["-a", "vfat", "nls_cp437", "nls_iso8859_1"]).catch(() => "");
    o.push("codepage=437", "iocharset=iso8859-1");
  }
  await host.run("mount", ["-t", opts.fat ? "vfat" : "ext4", "-o", o.join(","), dev, at]);
  try {
    return await fn(at);
  } finally {
    await host.run("sync", []).catch(() => "");
    await host.run("umount", [at]).catch(() => "");
  }
}

/** grubenv's slot variables. */
export function readBootEnv(host: Host, layout: DiskLayout): Promise<SlotEnv> {
  return withMounted(host, layout.boot, { fat: true, readOnly: true }, async (at) =>
    readSlotEnv(join(host.root, at, "boot/grub/grubenv")),
  );
}

/** Sets grubenv variables with grub-editenv (which keeps the block's fixed 1 KiB size). */
export async function setBootEnv(
  host: Host,
  layout: DiskLayout,
  vars: Record<string, string>,
): Promise<void> {
  await withMounted(host, layout.boot, { fat: true }, async (at) => {
    const args = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    await host.run("grub-editenv", [join(at, "boot/grub/grubenv"), "set", ...args]);
  });
}

/** slot.json of a slot, or undefined when the slot holds no system. */
export function readSlotInfo(host: Host, layout: DiskLayout, slot: Slot): Promise<SlotInfo | undefined> {
  return withMounted(host, layout.slots[slot], { readOnly: true }, async (at) => {
    const file = join(host.root, at, "slot.json");
    if (!existsSync(file) || !existsSync(join(host.root, at, "initrd"))) return undefined;
    try {
      return JSON.parse(readFileSync(file, "utf8")) as SlotInfo;
    } catch {
      return undefined;
    }
  });
}
