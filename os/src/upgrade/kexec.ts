// `corral os upgrade --kexec`: boots the slot just written without going through the firmware and
// GRUB. The kernel and initrd are loaded from the slot with kexec(8), with the command line GRUB
// would give that slot (read from the grub.cfg the installer wrote, so `corral install -a` options
// come along), then GRUB's one step for a try-once boot is done here: corral_try is cleared before
// the jump. The kexec'd boot is then a trial like any other (health-gate.ts): the slot is not the
// active one, so it must prove healthy before its deadline, and if it does not, or the kernel never
// comes up, the next real reboot finds corral_try empty and GRUB boots the active slot.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Slot } from "../install/plan.ts";
import type { Host } from "../system/host.ts";
import { type DiskLayout, setBootEnv, withMounted } from "./disk.ts";

/** What /sys/kernel/kexec_loaded says once a kernel is loaded for kexec. */
const kexecLoadedFile = "sys/kernel/kexec_loaded";

/**
 * The kernel command line GRUB gives `slot`'s normal entry in `grubCfg` (menuentry `--id slot-X`):
 * its `linux` arguments, after the `BOOT_IMAGE=` GRUB's Linux loader puts first. Throws when the
 * config has no such entry (a disk this build did not install): guessing a command line could boot
 * the slot with the wrong `corral.slot=` and break the boot counting.
 */
export function slotCmdline(grubCfg: string, slot: Slot): string {
  const lines = grubCfg.split("\n");
  const start = lines.findIndex((l) => /^menuentry\s.*--id\s+slot-([AB])\s*\{\s*$/.exec(l)?.[1] === slot);
  if (start < 0) throw new Error(`grub.cfg has no entry for slot ${slot} (--id slot-${slot})`);
  for (const line of lines.slice(start + 1)) {
    if (/^\s*\}\s*$/.test(line)) break;
    const m = /^\s*linux\s+(\S+)\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const args = m[2] ?? "";
    const slots = [...args.matchAll(/(?:^|\s)corral\.slot=(\S*)/g)].map((x) => x[1]);
    if (slots.length !== 1 || slots[0] !== slot)
      throw new Error(`grub.cfg's entry for slot ${slot} does not pass corral.slot=${slot} alone: ${args}`);
    return `BOOT_IMAGE=${m[1]} ${args}`.trim();
  }
  throw new Error(`grub.cfg's entry for slot ${slot} has no linux line`);
}

/**
 * Loads `slot`'s kernel and initrd for kexec with the command line GRUB would give it, and checks
 * the kernel took them. Nothing is booted yet: that is the last step of PID 1's shutdown.
 */
export async function loadSlotKernel(host: Host, layout: DiskLayout, slot: Slot): Promise<string> {
  const cfg = await withMounted(host, layout.boot, { fat: true, readOnly: true }, async (at) =>
    readFileSync(join(host.root, at, "boot/grub/grub.cfg"), "utf8"),
  );
  const cmdline = slotCmdline(cfg, slot);
  // kexec -l copies both files into the kernel, so the slot is unmounted again before the jump.
  await withMounted(host, layout.slots[slot], { readOnly: true }, (at) =>
    host.run(
      "kexec",
      ["-l", join(at, "vmlinuz"), `--initrd=${join(at, "initrd")}`, `--command-line=${cmdline}`],
      { timeoutMs: 300_000 },
    ),
  );
  let loaded = "";
  try {
    loaded = readFileSync(join(host.root, kexecLoadedFile), "utf8").trim();
  } catch {}
  if (loaded !== "1") throw new Error(`kexec -l returned but ${kexecLoadedFile} says '${loaded}'`);
  return cmdline;
}

/**
 * After `markTry`: loads the slot for kexec, then clears corral_try as GRUB does before it boots a
 * try-once slot. When loading fails nothing is cleared (the slot still boots once at the next
 * reboot) and the error says so; when clearing fails the loaded kernel is dropped again.
 */
export async function prepareKexec(
  host: Host,
  layout: DiskLayout,
  slot: Slot,
  log: (line: string) => void,
): Promise<void> {
  let cmdline: string;
  try {
    cmdline = await loadSlotKernel(host, layout, slot);
  } catch (e) {
    throw new Error(
      `slot ${slot} is written and boots once at the next reboot, but kexec could not load it: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  try {
    await setBootEnv(host, layout, { corral_try: "" });
  } catch (e) {
    await host.run("kexec", ["-u"]).catch(() => "");
    throw new Error(
      `slot ${slot} is written and boots once at the next reboot, but grubenv could not be updated for kexec: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  log(`loaded slot ${slot} for kexec: ${cmdline}`);
}
