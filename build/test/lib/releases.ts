// Releases for the upgrade image tests: a newer build and a deliberately broken one (its User
// Docker never answers) made from the built image by build/release.sh, signed with the build's key;
// and a small release signed by a key the image does not trust.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, type Vm } from "../../qemu/vm.ts";
import { check, ssh } from "./harness.ts";

async function run(cmd: string[], input?: string): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: input ? Buffer.from(input) : "ignore" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed: ${err.trim()}`);
  return out;
}

/** The User Docker service of the broken build: the container sleeps, the engine never answers. */
const brokenUserDocker = `description: User Docker (deliberately broken for the rollback test)
image: corral/os-docker:latest
command: ["sh", "-c", "exec sleep 2147483647"]
net: host
restart: always
health:
  socket: /var/run/docker.sock
  http: /_ping
  start_interval: 1s
  interval: 5s
after: []
`;

/** Builds `good` (the image as built, a newer version) and `broken` releases into `dir`. */
export async function makeReleases(
  dir: string,
): Promise<{ good: string; broken: string; untrusted: string }> {
  const good = join(dir, "release-good.tar");
  await run(["bash", join(repoRoot, "build/release.sh"), "test-2", good]);
  const over = join(dir, "broken-overlay/usr/share/corral/system-services/user-docker");
  mkdirSync(over, { recursive: true });
  writeFileSync(join(over, "service.yml"), brokenUserDocker);
  const broken = join(dir, "release-broken.tar");
  await run([
    "bash",
    join(repoRoot, "build/release.sh"),
    "test-3-broken",
    broken,
    join(dir, "broken-overlay"),
  ]);
  // Signed by a key of this test only: the image must refuse it.
  const u = join(dir, "untrusted");
  mkdirSync(u, { recursive: true });
  await run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", join(u, "key.pem")]);
  writeFileSync(join(u, "vmlinuz"), "not a kernel\n");
  writeFileSync(join(u, "initrd"), "not an initrd\n");
  const sum = async (f: string) => (await run(["sha256sum", join(u, f)])).slice(0, 64);
  const manifest = {
    version: "evil-1",
    sha256: { vmlinuz: await sum("vmlinuz"), initrd: await sum("initrd") },
  };
  writeFileSync(join(u, "release.json"), JSON.stringify(manifest));
  // A well-formed signature (64 bytes, base64) by the wrong key: refused for the key, not the form.
  const sig = await run([
    "sh",
    "-c",
    `openssl pkeyutl -sign -rawin -inkey ${join(u, "key.pem")} -in ${join(u, "release.json")} | base64 -w0`,
  ]);
  writeFileSync(join(u, "release.sig"), sig);
  const untrusted = join(dir, "release-untrusted.tar");
  await run(["tar", "-C", u, "-cf", untrusted, "release.json", "release.sig", "vmlinuz", "initrd"]);
  return { good, broken, untrusted };
}

/** Copies a host file into the guest's /home/corral over ssh. */
export async function upload(vm: Vm, key: string, file: string, name: string): Promise<string> {
  const dest = `/home/corral/${name}`;
  const r = await ssh(vm, key, `cat > ${dest}`, file, 600_000);
  check(r.code === 0, `upload ${name}: ${r.stderr}`);
  return dest;
}

/** Waits until QEMU exits by itself (the guest rebooted; the runner boots with -no-reboot). */
export async function waitExit(vm: Vm, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (vm.proc.exitCode === null) {
    if (Date.now() > deadline)
      throw new Error(`the guest did not reboot within ${timeoutMs} ms; log ${vm.log}`);
    await Bun.sleep(500);
  }
}

/** `corral os boot-log --history --json` events. */
export async function history(
  vm: Vm,
  key: string,
): Promise<{ event: string; slot: string; version?: string; reason?: string }[]> {
  const r = await ssh(vm, key, "corral os boot-log --history --json");
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}
