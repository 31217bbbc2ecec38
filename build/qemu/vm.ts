// Boots CorralOS in QEMU for the runner (run.ts), the image tests and the boot benchmark.
// TCG only: /dev/kvm exists on these machines but nested KVM hangs, so `-accel tcg -cpu max`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (build/qemu/ is two levels down). */
export const repoRoot = resolve(import.meta.dir, "../..");

/**
 * True when the guest kernel reports a vCPU stuck in it for a minute or more (seen now and then
 * under TCG: both vCPUs spinning for good, the report repeating with a growing time). A single
 * report of ~20-30 s is not one: QEMU itself was not scheduled for that long on a busy machine,
 * the guest clock jumped, and the guest goes on normally.
 */
export function guestLockedUp(consoleText: string): boolean {
  for (const m of consoleText.matchAll(/soft lockup - CPU#\d+ stuck for (\d+)s/g))
    if (Number(m[1]) >= 60) return true;
  return false;
}

/** Console silence (no byte at all) this long before a wait's deadline counts as a stalled guest. */
const stalledAfterMs = 120_000;

/**
 * A wait that ran out while the guest printed nothing for minutes: under TCG a guest sometimes stops
 * making progress before its kernel runs (the ISO booted in 30 s idle, and once sat silent past 240 s
 * after GRUB in a CI run). Callers may boot such a case again, saying so.
 */
export class ConsoleStalled extends Error {}

/** The console's last lines without terminal escapes, short enough for one error message. */
export function consoleTail(text: string): string {
  const lines = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are control characters
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "\n")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const tail = lines.slice(-3).join(" | ");
  return JSON.stringify(tail.length > 300 ? `...${tail.slice(-300)}` : tail);
}

/** How to boot one machine. */
export interface VmOptions {
  /** Boot dist/corral.iso through GRUB instead of `-kernel/-initrd` (slower, tests the ISO). */
  iso?: string;
  kernel?: string;
  initrd?: string;
  /** Extra kernel command line (kernel boots only; the ISO's is in its grub.cfg). */
  append?: string;
  /** A #cloud-config (text) given as a NoCloud seed: a small ISO labelled `cidata`. */
  cloudConfig?: string;
  /** A state disk (raw); created and formatted ext4 `CORRAL_STATE` when missing. */
  stateDisk?: string;
  stateSizeMb?: number;
  /** More disks (existing files, raw), attached as virtio disks after the state disk. */
  disks?: string[];
  /** Boot the first disk through its own boot loader (the firmware's BIOS): no ISO, no -kernel. */
  bootFromDisk?: boolean;
  /** Boot through UEFI firmware (Debian's ovmf, OVMF_CODE.fd) instead of the default BIOS. */
  uefi?: boolean;
  /** Serial console log file; a temp file when absent. */
  log?: string;
  /**
   * Host ports forwarded to the guest's 8080 (plain HTTP), 8443 (HTTPS) and 22; free ports are
   * picked when absent. The guest sees forwarded connections come from 10.0.2.2, not loopback, so
   * its server answers plain HTTP on 8080 with a redirect only: the API is on the HTTPS port.
   */
  httpPort?: number;
  httpsPort?: number;
  sshPort?: number;
  memoryMb?: number;
  cpus?: number;
  /**
   * MAC addresses of more NICs after the first (virtio, in this order), each on a user-mode
   * network of its own that reaches nothing: links for bond, VLAN and bridge configs to use.
   */
  extraNics?: string[];
}

/** A running machine. */
export interface Vm {
  proc: ReturnType<typeof Bun.spawn>;
  log: string;
  httpPort: number;
  httpsPort: number;
  sshPort: number;
  /** The serial console so far. */
  console(): string;
  /** Resolves with the first match of `re` on the console; rejects after `timeoutMs` or if QEMU exits. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Kills QEMU (the guest gets no shutdown: use it after a clean poweroff or to abandon a boot). */
  kill(): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => res(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`${cmd[0]} failed: ${await new Response(p.stderr).text()}`);
}

/** Writes a NoCloud seed ISO (volume id `cidata`, files `user-data` and `meta-data`). */
export async function makeSeed(userData: string, dir: string): Promise<string> {
  const src = join(dir, "seed");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "user-data"), userData);
  writeFileSync(join(src, "meta-data"), "instance-id: corral-test\nlocal-hostname: corral\n");
  const out = join(dir, "seed.iso");
  await run(["genisoimage", "-quiet", "-output", out, "-volid", "cidata", "-joliet", "-rock", src]);
  return out;
}

/** Creates a sparse raw disk formatted ext4 with the label corral init looks for. */
export async function makeStateDisk(path: string, sizeMb: number): Promise<void> {
  await run(["truncate", "-s", `${sizeMb}M`, path]);
  await run(["mkfs.ext4", "-q", "-F", "-L", "CORRAL_STATE", path]);
}

/** Starts QEMU; the guest boots in the background. */
export async function bootVm(o: VmOptions = {}): Promise<Vm> {
  const dir = join(tmpdir(), `corral-vm-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const log = o.log ?? join(dir, "serial.log");
  writeFileSync(log, "");
  const httpPort = o.httpPort ?? (await freePort());
  const httpsPort = o.httpsPort ?? (await freePort());
  const sshPort = o.sshPort ?? (await freePort());
  const args = [
    "-accel",
    "tcg",
    "-cpu",
    "max",
    "-m",
    String(o.memoryMb ?? 2048),
    "-smp",
    String(o.cpus ?? 2),
  ];
  args.push("-display", "none", "-monitor", "none", "-no-reboot", "-serial", `file:${log}`);
  if (o.uefi) {
    // The firmware's variable store is per machine (copied fresh: nothing from an earlier boot).
    const vars = join(dir, "OVMF_VARS.fd");
    writeFileSync(vars, readFileSync("/usr/share/OVMF/OVMF_VARS.fd"));
    args.push("-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd");
    args.push("-drive", `if=pflash,format=raw,file=${vars}`);
  }
  args.push(
    "-nic",
    `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${httpPort}-:8080,hostfwd=tcp:127.0.0.1:${httpsPort}-:8443,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
  );
  for (const [i, mac] of (o.extraNics ?? []).entries())
    args.push(
      "-netdev",
      `user,id=extra${i},restrict=on`,
      "-device",
      `virtio-net-pci,netdev=extra${i},mac=${mac}`,
    );
  // virtio-rng: sshd and Bun want entropy early, and TCG guests have little of their own.
  args.push("-device", "virtio-rng-pci");
  if (o.iso) {
    args.push("-cdrom", o.iso, "-boot", "d");
  } else if (o.bootFromDisk) {
    args.push("-boot", "c");
  } else {
    args.push(
      "-kernel",
      o.kernel ?? join(repoRoot, "dist/vmlinuz"),
      "-initrd",
      o.initrd ?? join(repoRoot, "dist/initrd"),
    );
    args.push("-append", `console=ttyS0,115200n8 panic=10 quiet ${o.append ?? ""}`.trim());
  }
  if (o.stateDisk) {
    if (!existsSync(o.stateDisk)) await makeStateDisk(o.stateDisk, o.stateSizeMb ?? 4096);
    args.push("-drive", `file=${o.stateDisk},if=virtio,format=raw`);
  }
  for (const d of o.disks ?? []) args.push("-drive", `file=${d},if=virtio,format=raw`);
  if (o.cloudConfig !== undefined) {
    args.push("-drive", `file=${await makeSeed(o.cloudConfig, dir)},if=virtio,format=raw,readonly=on`);
  }
  const proc = Bun.spawn(["qemu-system-x86_64", ...args], { stdout: "ignore", stderr: "pipe" });
  const read = () => (existsSync(log) ? readFileSync(log, "latin1") : "");
  return {
    proc,
    log,
    httpPort,
    httpsPort,
    sshPort,
    console: read,
    async waitFor(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      let changed = Date.now();
      for (;;) {
        const text = read();
        const m = text.match(re);
        if (m) return m;
        if (guestLockedUp(text)) throw new Error(`guest kernel soft lockup before ${re}; log ${log}`);
        if (proc.exitCode !== null)
          throw new Error(`QEMU exited (${proc.exitCode}) before ${re}; log ${log}`);
        if (text.length !== seen) {
          seen = text.length;
          changed = Date.now();
        }
        if (Date.now() > deadline) {
          const silentMs = Date.now() - changed;
          const message = `no ${re} on the console after ${timeoutMs} ms (console silent for the last ${Math.round(silentMs / 1000)} s; it ends: ${consoleTail(text)}); log ${log}`;
          throw silentMs >= stalledAfterMs ? new ConsoleStalled(message) : new Error(message);
        }
        await Bun.sleep(250);
      }
    },
    async kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
