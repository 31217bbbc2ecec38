// The pure half of `corral install`: argument parsing, the partition plan (an sfdisk script) and the
// GRUB files. The side effects (partitioning, mkfs, grub-install) are in install.ts.

/** Install types, as RancherOS named them; every type now boots through both BIOS and UEFI. */
export const installTypes = ["generic", "gpt", "efi"] as const;
/** One of `installTypes`. */
export type InstallType = (typeof installTypes)[number];

/** What `corral install` was asked to do. */
export interface InstallOptions {
  device: string;
  /** Path of a cloud-config to save on the state partition. */
  cloudConfig?: string;
  type: InstallType;
  /** Extra kernel command line for every boot entry. */
  append: string;
  reboot: boolean;
  force: boolean;
}

/** The usage text of `corral install`. */
export const installUsage = `usage: corral install -d DEVICE [-c CLOUD-CONFIG] [-t generic|gpt|efi] [-a APPEND] [--no-reboot] [--force]

  -d, --device DEVICE        the whole disk to install to (e.g. /dev/vda); everything on it is lost
  -c, --cloud-config FILE    a cloud-config saved on the state partition (read at every boot)
  -t, --install-type TYPE    generic, gpt or efi (RancherOS's names): every type gets GRUB for BIOS and UEFI
  -a, --append ARGS          extra kernel command line for the installed system
  --no-reboot                do not reboot when done
  -f, --force                install over a disk that has partitions or data
`;

/** A command line `corral install` cannot use; the message says why. */
export class InstallUsageError extends Error {}

const flags: Record<string, keyof InstallOptions> = {
  "-d": "device",
  "--device": "device",
  "-c": "cloudConfig",
  "--cloud-config": "cloudConfig",
  "-t": "type",
  "--install-type": "type",
  "-a": "append",
  "--append": "append",
};

/** Parses `corral install` arguments (`-d X`, `-d=X` and `--device=X` forms); throws InstallUsageError. */
export function parseInstallArgs(argv: string[]): InstallOptions {
  const o: Partial<Record<keyof InstallOptions, string>> = {};
  let reboot = true;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--no-reboot") reboot = false;
    else if (arg === "-f" || arg === "--force") force = true;
    else {
      const eq = arg.indexOf("=");
      const name = eq > 0 && arg.startsWith("-") ? arg.slice(0, eq) : arg;
      const key = flags[name];
      if (!key) throw new InstallUsageError(`unknown argument '${arg}'`);
      const value = eq > 0 && name !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new InstallUsageError(`${name} needs a value`);
      if (o[key] !== undefined) throw new InstallUsageError(`${name} given twice`);
      o[key] = value;
    }
  }
  if (!o.device) throw new InstallUsageError("no disk: -d DEVICE is required (e.g. -d /dev/vda)");
  if (!/^\/dev\/[A-Za-z0-9/_-]+$/.test(o.device))
    throw new InstallUsageError(`'${o.device}' is not a disk device path (e.g. /dev/vda)`);
  const type = (o.type ?? "generic") as InstallType;
  if (!installTypes.includes(type))
    throw new InstallUsageError(`unknown install type '${o.type}' (use ${installTypes.join(", ")})`);
  const append = o.append ?? "";
  // The append line is written into grub.cfg between double quotes' worth of words: refuse what
  // would end the line or start GRUB syntax rather than quoting it wrongly.
  if (/["'\\$;\n\r{}`]/.test(append))
    throw new InstallUsageError("-a: the append line may not contain quotes, \\, $, ;, braces or newlines");
  if (o.cloudConfig === "") throw new InstallUsageError("-c needs a file path");
  return { device: o.device, cloudConfig: o.cloudConfig, type, append, reboot, force };
}

/** GPT partition type GUIDs. */
const gptType = {
  bios: "21686148-6449-6E6F-744E-656564454649",
  esp: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
  linux: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
};

/** One partition of the plan. */
export interface PlannedPartition {
  /** Partition number (1-based). */
  number: number;
  /** GPT partition name and (except for the BIOS boot partition) the file system label. */
  name: string;
  /** Size in MiB; undefined means the rest of the disk. */
  sizeMiB?: number;
  typeGuid: string;
  fs: "none" | "vfat" | "ext4";
}

/** The slots' names: the system is in A or B, the other one takes the next upgrade. */
export const slots = ["A", "B"] as const;
/** One of `slots`. */
export type Slot = (typeof slots)[number];

/** Sizes (MiB): a slot holds a kernel and an initrd (~140 MB today) with room to grow. */
export const layout = { biosMiB: 1, bootMiB: 64, slotMiB: 1024, minStateMiB: 512 };

/**
 * The disk layout, the same for every type so later upgrades need not care: a BIOS boot partition
 * (GRUB's core image), CORRAL_BOOT (GRUB's files, grub.cfg, grubenv and for efi the EFI loader; an
 * EFI system partition for efi), CORRAL_A and CORRAL_B (one kernel and initrd each) and
 * CORRAL_STATE on the rest.
 */
export function partitionPlan(_type: InstallType): PlannedPartition[] {
  return [
    { number: 1, name: "BIOS", sizeMiB: layout.biosMiB, typeGuid: gptType.bios, fs: "none" },
    {
      number: 2,
      name: "CORRAL_BOOT",
      sizeMiB: layout.bootMiB,
      // Always an EFI system partition: every install boots through BIOS and UEFI alike.
      typeGuid: gptType.esp,
      fs: "vfat",
    },
    { number: 3, name: "CORRAL_A", sizeMiB: layout.slotMiB, typeGuid: gptType.linux, fs: "ext4" },
    { number: 4, name: "CORRAL_B", sizeMiB: layout.slotMiB, typeGuid: gptType.linux, fs: "ext4" },
    { number: 5, name: "CORRAL_STATE", typeGuid: gptType.linux, fs: "ext4" },
  ];
}

/** The smallest disk the plan fits on, in bytes (1 MiB alignment at the start, GPT backup at the end). */
export function minimumDiskBytes(): number {
  const { biosMiB, bootMiB, slotMiB, minStateMiB } = layout;
  return (1 + biosMiB + bootMiB + 2 * slotMiB + minStateMiB + 1) * 1024 * 1024;
}

/** The sfdisk script that writes the plan (sfdisk aligns to 1 MiB; the last partition takes the rest). */
export function sfdiskScript(plan: PlannedPartition[]): string {
  const lines = ["label: gpt", ""];
  for (const p of plan) {
    const size = p.sizeMiB === undefined ? "" : `size=${p.sizeMiB}MiB, `;
    lines.push(`${size}type=${p.typeGuid}, name="${p.name}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** The device node of partition `n` of `disk` (/dev/vda3, /dev/nvme0n1p3, /dev/mmcblk0p3). */
export function partitionDevice(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

/** What grub.cfg needs to know about the installed disk. */
export interface BootConfig {
  /** File system UUIDs of the slot partitions. */
  slotUuids: Record<Slot, string>;
  append: string;
}

/** The kernel command line every installed boot gets (serial first, as the ISO's). */
export const baseCmdline = "console=tty1 console=ttyS0,115200n8 panic=10";

/**
 * grub.cfg: reads grubenv, boots `corral_try` once if set (clearing it first, so a slot that fails
 * to come up is not booted again: the next boot falls back to `corral_active`), else the active
 * slot; keeps a recovery console entry per slot. The booted slot is passed as `corral.slot`.
 */
export function grubConfig(c: BootConfig): string {
  const entry = (slot: Slot, title: string, id: string, extra: string) => {
    const args = [baseCmdline, extra, `corral.slot=${slot}`, c.append].filter((a) => a).join(" ");
    return [
      `menuentry "${title}" --id ${id} {`,
      `  search --no-floppy --fs-uuid --set=root ${c.slotUuids[slot]}`,
      `  linux /vmlinuz ${args}`,
      "  initrd /initrd",
      "}",
    ].join("\n");
  };
  return `# Written by corral install. The active slot and the try-once slot live in grubenv
# (grub-editenv /boot/grub/grubenv list): corral_active=A|B, corral_try=A|B or empty.
insmod part_gpt
insmod fat
insmod ext2
insmod loadenv
insmod search_fs_uuid
insmod serial
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
load_env corral_active corral_try
set corral_boot="$corral_active"
if [ -n "$corral_try" ]; then
  set corral_boot="$corral_try"
  set corral_try=
  save_env corral_try
fi
if [ "$corral_boot" != "B" ]; then set corral_boot=A; fi
set default="slot-$corral_boot"
${slots.map((s) => entry(s, `CorralOS (slot ${s})`, `slot-${s}`, "quiet")).join("\n")}
${slots.map((s) => entry(s, `CorralOS recovery console (slot ${s})`, `recovery-${s}`, "corral.recovery=true")).join("\n")}
`;
}

/** The grubenv variables a fresh install starts with: slot A active, nothing to try. */
export function initialGrubEnv(): Record<string, string> {
  return { corral_active: "A", corral_try: "" };
}
