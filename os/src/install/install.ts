// The side effects of `corral install`, run by PID 1 on the host (where /dev, sfdisk, mkfs and
// grub-install are): checks the disk, partitions it, makes the file systems, copies the kernel and
// initrd into slot A, installs GRUB and its environment block, and saves the cloud-config.
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { configPaths } from "../config/defaults.ts";
import type { InstallRequest } from "../init/control-socket.ts";
import { isBlank, listBlockDevices } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import {
  grubConfig,
  type InstallOptions,
  initialGrubEnv,
  minimumDiskBytes,
  parseInstallArgs,
  partitionDevice,
  partitionPlan,
  sfdiskScript,
} from "./plan.ts";

/** What the installer needs besides the options. */
export interface InstallContext {
  host: Host;
  log(line: string): void;
  /** A directory holding vmlinuz and initrd; found on the boot medium when absent. */
  source?: string;
}

const work = "/run/corral/install";

/** The running build's identity (VERSION_ID of /etc/os-release), recorded with the slot. */
function osReleaseVersion(host: Host): string {
  try {
    const m = /^VERSION_ID="?([^"\n]*)"?$/m.exec(readFileSync(join(host.root, "etc/os-release"), "utf8"));
    return m?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

function sysBlock(host: Host, name: string): string {
  return join(host.root, "sys/class/block", name);
}

/** The partitions of `name` the kernel knows (sysfs directories with a `partition` file). */
function partitionsOf(host: Host, name: string): string[] {
  try {
    return readdirSync(sysBlock(host, name)).filter((n) =>
      existsSync(join(sysBlock(host, name), n, "partition")),
    );
  } catch {
    return [];
  }
}

/** Refuses a disk that is not a whole disk, too small, in use, or (without --force) not empty. */
export function checkDisk(host: Host, o: InstallOptions): void {
  const name = basename(o.device);
  if (!existsSync(sysBlock(host, name))) throw new Error(`${o.device}: no such block device`);
  if (existsSync(join(sysBlock(host, name), "partition")))
    throw new Error(`${o.device} is a partition: install takes a whole disk`);
  const bytes = Number(readFileSync(join(sysBlock(host, name), "size"), "utf8").trim()) * 512;
  if (bytes < minimumDiskBytes())
    throw new Error(
      `${o.device} is ${Math.floor(bytes / 2 ** 20)} MiB; the install needs at least ${Math.ceil(minimumDiskBytes() / 2 ** 20)} MiB`,
    );
  const parts = partitionsOf(host, name);
  const ours = new Set([name, ...parts].map((n) => `/dev/${n}`));
  const mounts = readFileSync(join(host.root, "proc/mounts"), "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => ours.has(f[0] ?? ""));
  if (mounts.length > 0)
    throw new Error(
      `${o.device} is in use: ${mounts.map((f) => `${f[0]} mounted on ${f[1]}`).join(", ")}; unmount it first (--force does not override this)`,
    );
  const holders = [name, ...parts].flatMap((n) => {
    try {
      return readdirSync(join(host.root, "sys/class/block", n, "holders"));
    } catch {
      return [];
    }
  });
  if (holders.length > 0)
    throw new Error(`${o.device} is in use by ${holders.join(", ")} (RAID, LVM or a mapping)`);
  if (o.force) return;
  if (parts.length > 0)
    throw new Error(`${o.device} has partitions (${parts.join(", ")}); use --force to erase the disk`);
  if (!isBlank(join(host.root, "dev", name)))
    throw new Error(`${o.device} is not empty (its first MiB holds data); use --force to erase the disk`);
}

/** Finds vmlinuz and initrd: the given directory, else the boot medium (an ISO 9660 device with /boot/vmlinuz). */
async function findSource(ctx: InstallContext, disk: string): Promise<string> {
  if (ctx.source) return ctx.source;
  const dir = join(work, "source");
  mkdirSync(join(ctx.host.root, dir), { recursive: true });
  for (const dev of listBlockDevices(ctx.host.root)) {
    if (basename(dev).startsWith(basename(disk))) continue;
    try {
      await ctx.host.run("mount", ["-t", "iso9660", "-o", "ro", `/dev/${basename(dev)}`, dir]);
    } catch {
      continue;
    }
    if (
      existsSync(join(ctx.host.root, dir, "boot/vmlinuz")) &&
      existsSync(join(ctx.host.root, dir, "boot/initrd"))
    ) {
      ctx.log(`kernel and initrd from /dev/${basename(dev)}`);
      return join(dir, "boot");
    }
    await ctx.host.run("umount", [dir]);
  }
  throw new Error(
    "no kernel and initrd to install: no boot medium with /boot/vmlinuz and /boot/initrd found",
  );
}

async function waitForNode(host: Host, dev: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(host.root, dev))) {
    if (Date.now() > deadline) throw new Error(`${dev} did not appear after partitioning`);
    await Bun.sleep(200);
  }
}

/** sha256 of a file, hex. */
async function sha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return h.digest("hex");
}

/** Installs CorralOS on `o.device` (already parsed; the cloud-config is given as text). */
export async function installToDisk(
  ctx: InstallContext,
  o: InstallOptions,
  cloudConfig?: string,
): Promise<void> {
  const { host, log } = ctx;
  const r = (p: string) => join(host.root, p);
  checkDisk(host, o);
  const source = await findSource(ctx, o.device);
  const plan = partitionPlan(o.type);
  const dev = (n: number) => partitionDevice(o.device, n);
  const mounted: string[] = [];
  try {
    log(`partitioning ${o.device} (GPT, type ${o.type})`);
    await host.run("sfdisk", ["--quiet", "--wipe", "always", "--wipe-partitions", "always", o.device], {
      input: sfdiskScript(plan),
      timeoutMs: 120_000,
    });
    for (const p of plan) await waitForNode(host, dev(p.number));
    const slotUuids = { A: randomUUID(), B: randomUUID() };
    for (const p of plan) {
      if (p.fs === "vfat") await host.run("mkfs.vfat", ["-n", p.name, dev(p.number)]);
      if (p.fs !== "ext4") continue;
      const uuid = p.name === "CORRAL_A" ? slotUuids.A : p.name === "CORRAL_B" ? slotUuids.B : randomUUID();
      log(`formatting ${dev(p.number)} ext4 ${p.name}`);
      await host.run("mkfs.ext4", ["-F", "-q", "-L", p.name, "-U", uuid, dev(p.number)], {
        timeoutMs: 600_000,
      });
    }
    // FAT is mounted with the code page and charset the boot loads early (the kernel's default
    // charset, ascii in Debian's kernel, has no module in the image: the mount failed with EINVAL).
    await host.run("modprobe", ["-a", "vfat", "nls_cp437", "nls_iso8859_1"]).catch(() => "");
    const mount = async (n: number, name: string, fstype: string) => {
      const at = join(work, name);
      mkdirSync(r(at), { recursive: true });
      const opts = fstype === "vfat" ? ["-o", "codepage=437,iocharset=iso8859-1"] : [];
      await host.run("mount", ["-t", fstype, ...opts, dev(n), at]);
      mounted.push(at);
      return at;
    };
    const boot = await mount(2, "boot", "vfat");
    const slotA = await mount(3, "A", "ext4");
    const state = await mount(5, "state", "ext4");

    log("copying the kernel and initrd into slot A");
    const files: Record<string, string> = {};
    for (const f of ["vmlinuz", "initrd"]) {
      await Bun.write(r(join(slotA, f)), Bun.file(r(join(source, f))));
      files[f] = await sha256(r(join(slotA, f)));
      if (files[f] !== (await sha256(r(join(source, f)))))
        throw new Error(`${f}: the copy in slot A differs from its source`);
    }
    const slotInfo = {
      slot: "A",
      version: osReleaseVersion(host),
      installed: new Date().toISOString(),
      sha256: files,
    };
    writeFileSync(r(join(slotA, "slot.json")), `${JSON.stringify(slotInfo, null, 2)}\n`);

    log("installing GRUB for BIOS");
    const grubCommon = ["--locales=", "--fonts=", "--themes=", `--boot-directory=${boot}/boot`];
    await host.run("grub-install", ["--target=i386-pc", ...grubCommon, o.device], { timeoutMs: 300_000 });
    log("installing GRUB for UEFI (removable path EFI/BOOT/BOOTX64.EFI)");
    await host.run(
      "grub-install",
      ["--target=x86_64-efi", ...grubCommon, `--efi-directory=${boot}`, "--removable", "--no-nvram"],
      { timeoutMs: 300_000 },
    );
    writeFileSync(r(join(boot, "boot/grub/grub.cfg")), grubConfig({ slotUuids, append: o.append }));
    const envFile = join(boot, "boot/grub/grubenv");
    await host.run("grub-editenv", [envFile, "create"]);
    const vars = Object.entries(initialGrubEnv()).map(([k, v]) => `${k}=${v}`);
    await host.run("grub-editenv", [envFile, "set", ...vars]);
    mkdirSync(r(join(boot, "corral")), { recursive: true });
    const record = { type: o.type, append: o.append, device: o.device, slots: slotUuids, ...slotInfo };
    writeFileSync(r(join(boot, "corral/install.json")), `${JSON.stringify(record, null, 2)}\n`);

    if (cloudConfig !== undefined) {
      const conf = join(state, configPaths.user);
      mkdirSync(r(join(state, configPaths.confDir)), { recursive: true });
      writeFileSync(r(conf), cloudConfig, { mode: 0o600 });
      log(`cloud-config saved to CORRAL_STATE:${configPaths.user}`);
    }
    await host.run("sync", [], { timeoutMs: 300_000 });
  } finally {
    for (const at of mounted.reverse()) await host.run("umount", [at]).catch(() => undefined);
    if (!ctx.source) await host.run("umount", [join(work, "source")]).catch(() => undefined);
  }
  log(`installed on ${o.device}: slot A active`);
}

let busy = false;

/**
 * PID 1's side of `corral install`: one install at a time, progress on the console and in the
 * answer. The caller already checked the arguments; they are parsed again since the socket is the
 * trust boundary.
 */
export async function runInstallRequest(
  host: Host,
  console: (line: string) => void,
  req: InstallRequest,
): Promise<{ log: string[]; reboot: boolean }> {
  if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === "string"))
    throw new Error("install: argv must be a list of strings");
  if (req.cloudConfig !== undefined && typeof req.cloudConfig !== "string")
    throw new Error("install: cloudConfig must be text");
  const o = parseInstallArgs(req.argv);
  if (busy) throw new Error("an install is already running");
  busy = true;
  const log: string[] = [];
  try {
    await installToDisk(
      {
        host,
        log: (l) => {
          log.push(l);
          console(`install: ${l}\n`);
        },
      },
      o,
      req.cloudConfig,
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(log.length > 0 ? `${msg} (after: ${log.join("; ")})` : msg);
  } finally {
    busy = false;
  }
  return { log, reboot: o.reboot };
}
