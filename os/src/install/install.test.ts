import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Host } from "../system/host.ts";
import { checkDisk } from "./install.ts";
import {
  grubConfig,
  InstallUsageError,
  minimumDiskBytes,
  parseInstallArgs,
  partitionDevice,
  partitionPlan,
  sfdiskScript,
} from "./plan.ts";

describe("parseInstallArgs", () => {
  test("RancherOS's flags, with defaults", () => {
    expect(parseInstallArgs(["-d", "/dev/vda"])).toEqual({
      device: "/dev/vda",
      cloudConfig: undefined,
      type: "generic",
      append: "",
      reboot: true,
      force: false,
    });
    const o = parseInstallArgs([
      "-d",
      "/dev/sda",
      "-c",
      "cc.yml",
      "-t",
      "efi",
      "-a",
      "console=tty0 x=1",
      "--no-reboot",
      "--force",
    ]);
    expect(o).toEqual({
      device: "/dev/sda",
      cloudConfig: "cc.yml",
      type: "efi",
      append: "console=tty0 x=1",
      reboot: false,
      force: true,
    });
    expect(parseInstallArgs(["--device=/dev/nvme0n1", "--install-type=gpt", "-f"]).type).toBe("gpt");
  });

  test("bad command lines say what is wrong", () => {
    const bad: [string[], RegExp][] = [
      [[], /-d DEVICE is required/],
      [["-d"], /-d needs a value/],
      [["-d", "vda"], /not a disk device path/],
      [["-d", "/dev/vda; rm -rf /"], /not a disk device path/],
      [["-d", "/dev/vda", "-t", "mbr"], /unknown install type 'mbr'/],
      [["-d", "/dev/vda", "--bogus"], /unknown argument '--bogus'/],
      [["-d", "/dev/vda", "-d", "/dev/vdb"], /given twice/],
      [["-d", "/dev/vda", "-a", 'x" ; reboot'], /append line may not contain/],
      [["-d", "/dev/vda", "-a", "a\nmenuentry"], /append line may not contain/],
      [["-d", "/dev/vda", "-c", ""], /-c needs a file path/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseInstallArgs(argv)).toThrow(InstallUsageError);
      expect(() => parseInstallArgs(argv)).toThrow(re);
    }
  });
});

describe("partition plan", () => {
  test("BIOS boot, CORRAL_BOOT, slots A and B, state on the rest", () => {
    const plan = partitionPlan("gpt");
    expect(plan.map((p) => p.name)).toEqual(["BIOS", "CORRAL_BOOT", "CORRAL_A", "CORRAL_B", "CORRAL_STATE"]);
    expect(plan[0]?.typeGuid).toBe("21686148-6449-6E6F-744E-656564454649");
    expect(plan.at(-1)?.sizeMiB).toBeUndefined();
    // every type: the boot partition is the EFI system partition (BIOS and UEFI boot alike)
    for (const t of ["gpt", "efi", "generic"] as const)
      expect(partitionPlan(t)[1]?.typeGuid).toBe("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  });

  test("sfdisk script", () => {
    const s = sfdiskScript(partitionPlan("generic"));
    expect(s.startsWith("label: gpt\n")).toBe(true);
    expect(s).toContain('size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="BIOS"');
    expect(s).toContain('size=1024MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="CORRAL_B"');
    expect(s.trim().split("\n").at(-1)).toBe(
      'type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="CORRAL_STATE"',
    );
  });

  test("partition device names", () => {
    expect(partitionDevice("/dev/vda", 3)).toBe("/dev/vda3");
    expect(partitionDevice("/dev/nvme0n1", 3)).toBe("/dev/nvme0n1p3");
    expect(partitionDevice("/dev/mmcblk0", 5)).toBe("/dev/mmcblk0p5");
  });
});

describe("grub.cfg", () => {
  const cfg = grubConfig({ slotUuids: { A: "aaaa-1", B: "bbbb-2" }, append: "corral.debug=true" });
  test("boots the active slot, or the try-once slot once", () => {
    expect(cfg).toContain("load_env corral_active corral_try");
    // the try flag is cleared before booting, so a failed try falls back by itself
    expect(cfg.indexOf("save_env corral_try")).toBeLessThan(cfg.indexOf("menuentry"));
    expect(cfg).toContain('set default="slot-$corral_boot"');
    expect(cfg).toContain('menuentry "CorralOS (slot A)" --id slot-A {');
    expect(cfg).toContain("search --no-floppy --fs-uuid --set=root bbbb-2");
    expect(cfg).toContain(
      "linux /vmlinuz console=tty1 console=ttyS0,115200n8 panic=10 quiet corral.slot=A corral.debug=true",
    );
  });
  test("keeps a recovery console entry per slot", () => {
    expect(cfg).toContain('menuentry "CorralOS recovery console (slot B)" --id recovery-B {');
    expect(cfg).toMatch(/corral\.recovery=true corral\.slot=B corral\.debug=true/);
  });
});

describe("checkDisk", () => {
  /** A fake root with /sys/class/block/<disk> and /proc/mounts. */
  function fakeRoot(opts: { sizeBytes: number; parts?: string[]; mounts?: string; data?: boolean }): Host {
    const root = mkdtempSync(join(tmpdir(), "corral-install-"));
    const disk = join(root, "sys/class/block/vda");
    mkdirSync(disk, { recursive: true });
    writeFileSync(join(disk, "size"), `${opts.sizeBytes / 512}\n`);
    for (const p of opts.parts ?? []) {
      mkdirSync(join(disk, p), { recursive: true });
      writeFileSync(join(disk, p, "partition"), "1\n");
    }
    mkdirSync(join(root, "proc"), { recursive: true });
    writeFileSync(join(root, "proc/mounts"), opts.mounts ?? "proc /proc proc rw 0 0\n");
    mkdirSync(join(root, "dev"), { recursive: true });
    const head = Buffer.alloc(1024 * 1024);
    if (opts.data) head.write("ext4 maybe", 1080);
    writeFileSync(join(root, "dev/vda"), head);
    return { root, run: async () => "" };
  }
  const o = parseInstallArgs(["-d", "/dev/vda"]);
  const big = 8 * 1024 ** 3;

  test("an empty disk of enough size passes", () => {
    expect(() => checkDisk(fakeRoot({ sizeBytes: big }), o)).not.toThrow();
  });
  test("refusals say why", () => {
    expect(() => checkDisk(fakeRoot({ sizeBytes: big }), { ...o, device: "/dev/vdz" })).toThrow(
      /no such block device/,
    );
    expect(() => checkDisk(fakeRoot({ sizeBytes: minimumDiskBytes() - 512 }), o)).toThrow(/needs at least/);
    expect(() => checkDisk(fakeRoot({ sizeBytes: big, parts: ["vda1"] }), o)).toThrow(
      /has partitions \(vda1\); use --force/,
    );
    expect(() => checkDisk(fakeRoot({ sizeBytes: big, data: true }), o)).toThrow(/not empty.*--force/);
    const mounted = fakeRoot({ sizeBytes: big, parts: ["vda1"], mounts: "/dev/vda1 /mnt ext4 rw 0 0\n" });
    expect(() => checkDisk(mounted, { ...o, force: true })).toThrow(/in use: \/dev\/vda1 mounted on \/mnt/);
  });
  test("--force erases partitions and data", () => {
    expect(() =>
      checkDisk(fakeRoot({ sizeBytes: big, parts: ["vda1"], data: true }), { ...o, force: true }),
    ).not.toThrow();
  });
});
