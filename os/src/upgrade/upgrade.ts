// PID 1's side of `corral os upgrade|rollback|version|list`: writes a verified release into the
// slot the system is not running from, marks it "try once" in grubenv, and records the trial; the
// boot of that slot proves itself healthy or the machine falls back (health-gate.ts).
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setUserConfigKey } from "../config/user-config.ts";
import type { Slot } from "../install/plan.ts";
import type { Host } from "../system/host.ts";
import { type ChannelRelease, fetchRelease, listChannel } from "./channel.ts";
import {
  bootedSlot,
  type DiskLayout,
  findLayout,
  readBootEnv,
  readSlotInfo,
  runningVersion,
  type SlotInfo,
  setBootEnv,
  withMounted,
} from "./disk.ts";
import { otherSlot, type SlotEnv } from "./grubenv.ts";
import { osStateDir, readPending, recordEvent, writePending } from "./history.ts";
import { prepareKexec } from "./kexec.ts";
import { loadTrustedKeys, releaseFiles, trustedKeysDir, verifyRelease } from "./release.ts";

/** What `corral os version` shows. */
export interface OsStatus {
  running: string;
  booted?: Slot;
  installed: boolean;
  env?: SlotEnv;
  slots?: Record<Slot, SlotInfo | null>;
  /** The pending trial (an upgrade or rollback waiting for its slot to prove healthy). */
  trial?: ReturnType<typeof readPending>;
}

/** An upgrade request from the CLI. */
export interface UpgradeRequest {
  /** A release tar (a path on the host: under /home or /var/lib/corral, which the console shares). */
  file?: string;
  /** A version from the channel. */
  version?: string;
  channel?: string;
  reboot?: boolean;
  /** Boot the written slot at once with kexec instead of a firmware reboot (kexec.ts). */
  kexec?: boolean;
  /** Make a persistent console anew from the new build's image at its first boot (RancherOS's flag). */
  upgradeConsole?: boolean;
}

let busy = false;

/** Runs one slot operation at a time. */
async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  if (busy) throw new Error("another upgrade or rollback is running");
  busy = true;
  try {
    return await fn();
  } finally {
    busy = false;
  }
}

/** The installed disk and the booted slot, or a clear refusal. */
function installedSystem(host: Host): { layout: DiskLayout; booted: Slot } {
  const layout = findLayout(host);
  if (!layout)
    throw new Error(
      "not installed to disk (no CORRAL_BOOT, CORRAL_A and CORRAL_B partitions): run corral install first",
    );
  const booted = bootedSlot(host);
  if (!booted)
    throw new Error(
      "this boot did not come from an installed slot (no corral.slot= on the kernel command line): boot from the disk to upgrade it",
    );
  return { layout, booted };
}

/** Both slots, grubenv and the pending trial. */
export async function osStatus(host: Host): Promise<OsStatus> {
  const base = { running: runningVersion(host), booted: bootedSlot(host), trial: readPending(host.root) };
  const layout = findLayout(host);
  if (!layout) return { ...base, installed: false };
  const slots = {
    A: (await readSlotInfo(host, layout, "A")) ?? null,
    B: (await readSlotInfo(host, layout, "B")) ?? null,
  };
  return { ...base, installed: true, env: await readBootEnv(host, layout), slots };
}

/** The channel's releases (a given channel, else corral.upgrade.url). */
export function osList(channel: string | undefined): Promise<ChannelRelease[]> {
  if (!channel) throw new Error("no channel: give -c URL|FILE or set corral.upgrade.url");
  return listChannel(channel);
}

/** Makes `target` the slot GRUB boots once, and records the trial. */
async function markTry(host: Host, layout: DiskLayout, from: Slot, to: Slot, version: string): Promise<void> {
  await setBootEnv(host, layout, { corral_try: to });
  writePending(host.root, { from, to, version, requested: new Date().toISOString(), status: "pending" });
}

/**
 * Writes a release into the inactive slot: unpacked beside the old files, verified (signature,
 * then checksums), and only then moved into place, so a bad release leaves the slot as it was.
 */
export async function osUpgrade(
  host: Host,
  req: UpgradeRequest,
  log: (line: string) => void,
  defaultChannel?: string,
): Promise<{ version: string; slot: Slot; kexec: boolean }> {
  return exclusive(async () => {
    const { layout, booted } = installedSystem(host);
    const env = await readBootEnv(host, layout);
    if (booted !== env.active)
      throw new Error(
        `this boot (slot ${booted}) is on trial and not yet healthy: wait until it is, or reboot to go back to slot ${env.active}`,
      );
    let file = req.file;
    if (!file) {
      if (!req.version) throw new Error("give -f FILE or -i VERSION");
      const found = (await osList(req.channel ?? defaultChannel)).find((r) => r.version === req.version);
      if (!found) throw new Error(`version ${req.version} is not in the channel`);
      const dl = join(host.root, osStateDir, "download.tar");
      mkdirSync(join(host.root, osStateDir), { recursive: true });
      log(`fetching ${found.location}`);
      file = await fetchRelease(found.location, dl);
    }
    if (!existsSync(join(host.root, file))) throw new Error(`${file}: no such file`);
    const target = otherSlot(booted);
    const keys = loadTrustedKeys(join(host.root, trustedKeysDir));
    const version = await withMounted(host, layout.slots[target], {}, async (at) => {
      const incoming = join(at, ".incoming");
      rmSync(join(host.root, incoming), { recursive: true, force: true });
      mkdirSync(join(host.root, incoming));
      log(`unpacking into slot ${target}`);
      await host
        .run("tar", ["-xf", file, "-C", incoming, "release.json", "release.sig", ...releaseFiles], {
          timeoutMs: 600_000,
        })
        .catch((e: unknown) => {
          throw new Error(`cannot unpack ${file}: ${e instanceof Error ? e.message : String(e)}`);
        });
      let manifest: Awaited<ReturnType<typeof verifyRelease>>;
      try {
        manifest = await verifyRelease(join(host.root, incoming), keys);
      } catch (e) {
        rmSync(join(host.root, incoming), { recursive: true, force: true });
        recordEvent(host.root, {
          event: "upgrade-refused",
          slot: target,
          reason: e instanceof Error ? e.message : String(e),
        });
        throw e;
      }
      log(`verified ${manifest.version}: signature and checksums`);
      for (const f of releaseFiles) renameSync(join(host.root, incoming, f), join(host.root, at, f));
      const info: SlotInfo = {
        slot: target,
        version: manifest.version,
        installed: new Date().toISOString(),
        sha256: manifest.sha256,
      };
      writeFileSync(join(host.root, at, "slot.json"), `${JSON.stringify(info, null, 2)}\n`);
      rmSync(join(host.root, incoming), { recursive: true, force: true });
      return manifest.version;
    });
    await markTry(host, layout, booted, target, version);
    recordEvent(host.root, { event: "upgrade-written", slot: target, version });
    if (req.upgradeConsole) {
      // Read by the next boot (console-rebuild.ts), which sets it back: the config is on the state
      // partition both slots share.
      setUserConfigKey(host.root, "corral.force_console_rebuild", true);
      log("the console is made anew from the new build's image at its first boot (force_console_rebuild)");
    }
    if (req.kexec) {
      await prepareKexec(host, layout, target, log);
      log(`slot ${target} holds ${version}; booting it now with kexec: it becomes active when healthy`);
      return { version, slot: target, kexec: true };
    }
    log(`slot ${target} holds ${version}; it boots once at the next boot and becomes active when healthy`);
    return { version, slot: target, kexec: false };
  });
}

/** Boots the other slot once (it becomes active when healthy, like an upgrade). */
export async function osRollback(
  host: Host,
  log: (line: string) => void,
): Promise<{ version: string; slot: Slot }> {
  return exclusive(async () => {
    const { layout, booted } = installedSystem(host);
    const target = otherSlot(booted);
    const info = await readSlotInfo(host, layout, target);
    if (!info) throw new Error(`slot ${target} holds no system to roll back to`);
    await markTry(host, layout, booted, target, info.version);
    recordEvent(host.root, { event: "rollback-requested", slot: target, version: info.version });
    log(`slot ${target} (${info.version}) boots at the next boot and becomes active when healthy`);
    return { version: info.version, slot: target };
  });
}
