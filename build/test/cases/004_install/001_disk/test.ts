// Install to an empty disk from the ISO over ssh, then boot that disk alone (BIOS, no ISO, no
// -kernel): GRUB on the disk boots slot A, corral init applies the installed cloud-config, and User
// Docker answers. Times from QEMU start and from kernel start to User Docker ready are logged for
// both boots (the ISO boot and the installed-disk boot of the same run).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, type Vm } from "../../../../qemu/vm.ts";
import {
  bootTimeoutMs,
  bootWith,
  check,
  keyPair,
  powerOff,
  ssh,
  type TestCase,
  waitUserDocker,
} from "../../../lib/harness.ts";
import { healthTimeoutS, lifecycle } from "./lifecycle.ts";

/** Runs a host program; returns its stdout, throws with its stderr. */
async function hostRun(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed: ${err.trim()}`);
  return out;
}

/** Waits until User Docker answers over ssh; returns ms since `started` and the guest's own figure. */
async function userDockerReady(vm: Vm, key: string, started: number) {
  await waitUserDocker(vm, key);
  const wallMs = Date.now() - started;
  const log = await ssh(vm, key, "corral os boot-log --json");
  const entries = log.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { name: string; sinceKernelMs: number });
  const guestMs = entries.find((e) => e.name === "user-docker-ready")?.sinceKernelMs;
  return { wallMs, guestMs };
}

/** Install to disk, then boot from it. */
export const testCase: TestCase = {
  description:
    "corral install writes a disk that boots by itself (BIOS and UEFI); upgrades go to the other slot, a broken one falls back by itself",
  timeoutMs: 3_600_000,
  async run(ctx) {
    const { key, pub } = await keyPair(ctx.dir);
    const disk = join(ctx.dir, "disk.raw");
    const t = Bun.spawn(["truncate", "-s", "4G", disk]);
    check((await t.exited) === 0, "truncate failed");
    const seed = `#cloud-config\nhostname: corral-live\nssh_authorized_keys:\n  - ${pub}\n`;
    const installed = `#cloud-config\nhostname: corral-installed\nssh_authorized_keys:\n  - ${pub}\ncorral:\n  upgrade:\n    health_timeout: ${healthTimeoutS}\n`;
    writeFileSync(join(ctx.dir, "installed.yml"), installed);

    let started = Date.now();
    const live = await bootWith(ctx, "iso", {
      iso: join(repoRoot, "dist/corral.iso"),
      cloudConfig: seed,
      disks: [disk],
    });
    let isoTimes: { wallMs: number; guestMs?: number };
    try {
      await live.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      isoTimes = await userDockerReady(live, key, started);
      ctx.log(
        `ISO boot: User Docker ready ${isoTimes.wallMs} ms after QEMU start, ${isoTimes.guestMs} ms after kernel start`,
      );
      // The cloud-config travels over ssh's stdin into the console, as a user would copy it.
      const put = await ssh(live, key, "cat > /home/corral/installed.yml", join(ctx.dir, "installed.yml"));
      check(put.code === 0, `copying the cloud-config failed: ${put.stderr}`);
      // Bad input first: a partition, a bad type, and a cloud-config that does not validate.
      const bad = await ssh(live, key, "corral install -d /dev/vda -t mbr");
      check(
        bad.code === 2 && bad.stderr.includes("unknown install type"),
        `bad type: ${bad.code} ${bad.stderr}`,
      );
      const inst0 = Date.now();
      const r = await ssh(
        live,
        key,
        "corral install -d /dev/vda -t efi -c /home/corral/installed.yml --no-reboot",
        undefined,
        900_000,
      );
      ctx.log(`install took ${Date.now() - inst0} ms: ${r.stdout.trim().replace(/\n/g, " | ")}`);
      check(r.code === 0, `corral install failed (${r.code}): ${r.stderr}`);
      // The disk now has partitions: a second install without --force is refused.
      const again = await ssh(live, key, "corral install -d /dev/vda --no-reboot");
      check(
        again.code === 1 && again.stderr.includes("--force"),
        `second install: ${again.code} ${again.stderr}`,
      );
      await powerOff(live, key);
    } finally {
      await live.kill();
    }

    // CORRAL_BOOT read from the host with mtools: partition 2 starts at 2 MiB (1 MiB alignment,
    // then the 1 MiB BIOS boot partition). GRUB's environment says slot A, nothing to try; -t efi
    // put the UEFI loader at the removable path.
    const boot = `${disk}@@${2 * 1024 * 1024}`;
    const env = await hostRun(["mtype", "-i", boot, "::/boot/grub/grubenv"]);
    check(/^corral_active=A$/m.test(env) && /^corral_try=$/m.test(env), `grubenv: ${env}`);
    await hostRun(["mdir", "-i", boot, "::/EFI/BOOT/BOOTX64.EFI"]);
    const cfg = await hostRun(["mtype", "-i", boot, "::/boot/grub/grub.cfg"]);
    check(cfg.includes("--id recovery-A"), "grub.cfg has no recovery entry");

    started = Date.now();
    const vm = await bootWith(ctx, "disk", { bootFromDisk: true, disks: [disk] });
    try {
      await vm.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      const diskTimes = await userDockerReady(vm, key, started);
      ctx.log(
        `disk boot: User Docker ready ${diskTimes.wallMs} ms after QEMU start, ${diskTimes.guestMs} ms after kernel start`,
      );
      ctx.log(
        `disk/ISO ratio: wall ${(diskTimes.wallMs / isoTimes.wallMs).toFixed(2)}, guest ${((diskTimes.guestMs ?? 0) / (isoTimes.guestMs ?? 1)).toFixed(2)}`,
      );
      check(
        /corral\.slot=A/.test(vm.console()) ||
          (await ssh(vm, key, "cat /proc/cmdline")).stdout.includes("corral.slot=A"),
        "not booted from slot A",
      );
      const host = await ssh(vm, key, "hostname");
      check(
        host.stdout.trim() === "corral-installed",
        `hostname on the installed disk: '${host.stdout.trim()}'`,
      );
      const ps = await ssh(vm, key, "docker ps");
      check(ps.code === 0, `docker ps on the installed disk: ${ps.stderr}`);
      const fig = await lifecycle(ctx, vm, key, disk);
      ctx.log(`figures: ${JSON.stringify({ isoMs: isoTimes.wallMs, diskMs: diskTimes.wallMs, ...fig })}`);
    } finally {
      await vm.kill();
    }
  },
};
