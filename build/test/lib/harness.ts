// What the image test cases share: a per-test key pair, ssh into the console, HTTP to the API,
// and booting with a cloud-config. The guest is reached only through QEMU's loopback port forwards.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootVm, guestLockedUp, type Vm, type VmOptions } from "../../qemu/vm.ts";

/** Handed to every case's `run`. */
export interface TestContext {
  /** A fresh directory for this case (keys, disks, logs). */
  dir: string;
  log(msg: string): void;
}

/** A case module: build/test/cases/NNN_group/NNN_name/test.ts exports these. */
export interface TestCase {
  /** One line saying what a user would check. */
  description: string;
  /** Wall-clock budget (TCG boots take a minute or more). */
  timeoutMs?: number;
  run(ctx: TestContext): Promise<void>;
}

/** Boots and first waits ~this long for PID 1; TCG is slow and the initramfs is ~120 MB. */
export const bootTimeoutMs = 240_000;

/** Throws with `message` when `cond` is false. */
export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

/** An ed25519 key pair for this test only; returns the private key path and the public key line. */
export async function keyPair(dir: string): Promise<{ key: string; pub: string }> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "id_ed25519");
  // ssh-keygen asks before overwriting, and there is no one to answer: a new pair every run.
  rmSync(key, { force: true });
  rmSync(`${key}.pub`, { force: true });
  const p = Bun.spawn(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "corral-test", "-f", key], {
    stdout: "ignore",
    stderr: "inherit",
  });
  if ((await p.exited) !== 0) throw new Error("ssh-keygen failed");
  return { key, pub: readFileSync(`${key}.pub`, "utf8").trim() };
}

/** Output of one remote command. */
export interface Remote {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` in the console over ssh as the console user; `stdin` is a file fed to it. The command
 * is killed after `timeoutMs` (a minute unless a case knows it runs longer, e.g. an install).
 */
export async function ssh(
  vm: Vm,
  key: string,
  cmd: string,
  stdin?: string,
  timeoutMs = 60_000,
): Promise<Remote> {
  const p = Bun.spawn(
    [
      "ssh",
      "-i",
      key,
      "-p",
      String(vm.sshPort),
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "LogLevel=ERROR",
      "corral@127.0.0.1",
      cmd,
    ],
    { stdout: "pipe", stderr: "pipe", stdin: stdin ? Bun.file(stdin) : "ignore" },
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.kill();
  }, timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  // A killed ssh says nothing of why: say it, so a slow guest is not read as a failed command.
  if (timedOut) return { code: 124, stdout, stderr: `${stderr}ssh '${cmd}' timed out after ${timeoutMs} ms` };
  return { code, stdout, stderr };
}

/** Retries until `cmd` succeeds over ssh (sshd and keys are up); returns its output. */
export async function waitSsh(vm: Vm, key: string, timeoutMs: number, cmd = "true"): Promise<Remote> {
  const deadline = Date.now() + timeoutMs;
  let last: Remote = { code: -1, stdout: "", stderr: "not tried" };
  while (Date.now() < deadline) {
    if (vm.proc.exitCode !== null) throw new Error(`QEMU exited; console log ${vm.log}`);
    if (guestLockedUp(vm.console())) throw new Error(`guest kernel soft lockup; console log ${vm.log}`);
    last = await ssh(vm, key, cmd);
    if (last.code === 0) return last;
    await Bun.sleep(2000);
  }
  throw new Error(`ssh '${cmd}' did not succeed in ${timeoutMs} ms: ${last.stderr.trim()}; log ${vm.log}`);
}

/** Waits until User Docker answers over ssh; its server version is the answer's stdout. */
export function waitUserDocker(vm: Vm, key: string, timeoutMs = 600_000): Promise<Remote> {
  return waitSsh(vm, key, timeoutMs, "docker version --format '{{.Server.Version}}'");
}

/** The guest server's CA, fetched once from /cacerts over the forwarded HTTPS port. */
const guestCas = new Map<Vm, string>();

/**
 * GET https://127.0.0.1:<forwarded 8443><path>, trusting only the guest server's CA (taken from
 * /cacerts on first use: the test trusts the machine it just booted) and checking the server's
 * certificate against it and against 127.0.0.1, which the generated certificate names.
 */
export async function apiFetch(
  vm: Vm,
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const base = `https://127.0.0.1:${vm.httpsPort}`;
  let ca = guestCas.get(vm);
  if (!ca) {
    const r = await fetch(`${base}/cacerts`, {
      tls: { rejectUnauthorized: false, checkServerIdentity: () => undefined },
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) throw new Error(`GET /cacerts: HTTP ${r.status}`);
    ca = await r.text();
    guestCas.set(vm, ca);
  }
  return fetch(`${base}${path}`, { headers, tls: { ca }, signal: AbortSignal.timeout(10_000) });
}

/** Retries GET <path> on the guest's API over HTTPS (see apiFetch) until it answers 2xx. */
export async function waitHttp(
  vm: Vm,
  path: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await apiFetch(vm, path, headers);
      if (r.ok) return r;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await Bun.sleep(2000);
  }
  throw new Error(`GET ${path} did not answer in ${timeoutMs} ms (${last}); log ${vm.log}`);
}

/** Boots with a cloud-config; the console log lands in the test's directory. */
export function bootWith(ctx: TestContext, name: string, opts: VmOptions): Promise<Vm> {
  const log = join(ctx.dir, `${name}.serial.log`);
  ctx.log(`booting ${name} (console: ${log})`);
  return bootVm({ log, ...opts });
}

/**
 * Powers the guest off over ssh (`corral os poweroff`; with -no-reboot QEMU exits), and if the
 * console user may not do that, syncs the disks and stops QEMU: the same as pulling the plug after
 * `sync`, which is what a state partition must survive anyway.
 */
export async function powerOff(vm: Vm, key: string, timeoutMs = 60_000): Promise<void> {
  await ssh(vm, key, "sync; corral os poweroff || sync");
  const deadline = Date.now() + timeoutMs;
  while (vm.proc.exitCode === null && Date.now() < deadline) await Bun.sleep(500);
  await vm.kill();
}

/**
 * Loads a busybox image (`corral-test/busybox`) into User Docker through the console: nothing can be
 * pulled, so the image is the host's busybox-static, tarred and piped into `docker import` over ssh.
 */
export async function loadTestImage(vm: Vm, key: string, dir: string): Promise<void> {
  const root = join(dir, "busybox-root");
  mkdirSync(join(root, "bin"), { recursive: true });
  writeFileSync(join(root, "bin/busybox"), readFileSync("/bin/busybox"), { mode: 0o755 });
  for (const a of ["sh", "sleep", "echo", "cat"]) symlinkSync("busybox", join(root, "bin", a));
  const tar = join(dir, "busybox.tar");
  const t = Bun.spawn(["tar", "-C", root, "-cf", tar, "."]);
  if ((await t.exited) !== 0) throw new Error("tar failed");
  // User Docker first (on a busy machine it may still be starting when ssh answers), then the
  // import, with room for a slow guest: a 60 s default was seen to cut it off under load.
  await waitUserDocker(vm, key);
  const r = await ssh(vm, key, "docker import - corral-test/busybox:latest", tar, 300_000);
  check(r.code === 0, `docker import over ssh failed (${r.code}): ${r.stderr}`);
}

/** The admin key the tests give the server through cloud-config (corral.environment). */
export const adminKey = { access: "corraltestadmin", secret: "corral-test-secret-0123456789abcdef0123" };

/** The cloud-config lines that enable the server with `adminKey`. */
export const serverConfig = `  server:
    enabled: true
  environment:
    CORRAL_ADMIN_ACCESS_KEY: ${adminKey.access}
    CORRAL_ADMIN_SECRET_KEY: ${adminKey.secret}
`;

/** HTTP Basic credentials of `adminKey`. */
export const adminAuth = { authorization: `Basic ${btoa(`${adminKey.access}:${adminKey.secret}`)}` };
