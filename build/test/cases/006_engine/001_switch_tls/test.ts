// User Docker switched to the second engine (a separate artifact, dist/engines/), its containers
// back per their restart policy; then Docker TLS on :2376 with `corral tls gen`; then a reboot,
// which comes up on the switched-to engine (loaded from the state partition) with TLS still on,
// and without a cloud-config: the state partition keeps the first boot's config (hostname, ssh
// key) and User Docker's containers (`keeper`, restart always).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../../qemu/vm.ts";
import {
  bootTimeoutMs,
  bootWith,
  check,
  keyPair,
  loadTestImage,
  powerOff,
  type Remote,
  ssh,
  type TestCase,
  waitSsh,
  waitUserDocker,
} from "../../../lib/harness.ts";

/** Retries `cmd` until `ok` accepts its output or `timeoutMs` passes; returns the last output. */
async function until(
  run: (cmd: string) => Promise<Remote>,
  cmd: string,
  ok: (r: Remote) => boolean,
  timeoutMs: number,
): Promise<Remote> {
  const deadline = Date.now() + timeoutMs;
  let r = await run(cmd);
  while (!ok(r) && Date.now() < deadline) {
    await Bun.sleep(2000);
    r = await run(cmd);
  }
  return r;
}

/** `corral engine list|switch`, restart policies across the switch, `corral tls gen` and :2376. */
export const testCase: TestCase = {
  description:
    "engine list/switch keeps containers per restart policy; TLS on :2376 refuses clients without a cert; both hold after a reboot",
  timeoutMs: 1_500_000,
  async run(ctx) {
    const engines = join(repoRoot, "dist/engines");
    const file = readdirSync(engines).find((f) => /^docker-[0-9.]+\.tar\.gz$/.test(f));
    check(file, `no engine file in ${engines} (build/engines.sh makes it)`);
    const version = file.replace(/\.tar\.gz$/, "");
    const want = version.replace(/^docker-/, "");
    // Debian's build says 26.1.5+dfsg1.
    const isWant = (text: string) => text.trim() === want || text.trim().startsWith(`${want}+`);
    const { key, pub } = await keyPair(ctx.dir);
    const cloudConfig = `#cloud-config\nhostname: corral-engine\nssh_authorized_keys:\n  - ${pub}\n`;
    const vm = await bootWith(ctx, "engine", { cloudConfig, stateDisk: join(ctx.dir, "state.raw") });
    const run = (cmd: string, timeoutMs?: number, stdin?: string) => ssh(vm, key, cmd, stdin, timeoutMs);
    try {
      await vm.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      await waitUserDocker(vm, key, 300_000);
      const list = await run("corral engine list");
      ctx.log(`engine list:\n${list.stdout}`);
      check(
        /^current +docker-20\.10\.\d+ \(built in\)$/m.test(list.stdout),
        `engine list: ${list.stdout}${list.stderr}`,
      );
      const unknown = await run("corral engine switch 19.03.15");
      check(
        unknown.code === 1 && unknown.stderr.includes("no engine docker-19.03.15"),
        `unknown engine: code ${unknown.code} ${unknown.stderr}`,
      );

      await loadTestImage(vm, key, ctx.dir);
      for (const [name, policy] of [
        ["keeper", "always"],
        ["once", "no"],
      ])
        check(
          (await run(`docker run -d --restart ${policy} --name ${name} corral-test/busybox sleep 100000`))
            .code === 0,
          `docker run ${name} failed`,
        );

      const up = await run(`cat > /home/corral/${file}`, 300_000, join(engines, file));
      check(up.code === 0, `copying ${file} failed: ${up.stderr}`);
      const started = Date.now();
      const sw = await run(`corral engine switch ${version} -f /home/corral/${file}`, 900_000);
      ctx.log(`switch took ${((Date.now() - started) / 1000).toFixed(0)} s: ${sw.stdout.trim()}`);
      check(sw.code === 0, `engine switch failed: ${sw.stdout}${sw.stderr}`);
      const server = await until(
        run,
        "docker version --format '{{.Server.Version}}'",
        (r) => isWant(r.stdout),
        120_000,
      );
      check(isWant(server.stdout), `server version after switch: ${server.stdout}${server.stderr}`);
      const after = await run("corral engine list");
      check(after.stdout.includes(`current  ${version}`), `engine list after switch: ${after.stdout}`);
      const ps = await until(
        run,
        "docker ps --format '{{.Names}}'",
        (r) => r.stdout.split("\n").includes("keeper"),
        120_000,
      );
      check(ps.stdout.split("\n").includes("keeper"), `keeper (restart always) not running: ${ps.stdout}`);
      check(!ps.stdout.split("\n").includes("once"), `once (restart no) came back: ${ps.stdout}`);

      // TLS: the server certificate, a client certificate in ~/.docker, then RancherOS's key.
      const gen = await run("corral tls gen --server -H corral-engine && corral tls gen && ls ~/.docker");
      check(gen.code === 0 && gen.stdout.includes("key.pem"), `tls gen: ${gen.stdout}${gen.stderr}`);
      const on = await run("corral config set rancher.docker.tls true", 300_000);
      check(on.code === 0, `enabling tls: ${on.stderr}`);
      const tls = await until(
        run,
        "docker --tlsverify -H tcp://127.0.0.1:2376 version --format '{{.Server.Version}}'",
        (r) => r.code === 0,
        180_000,
      );
      check(tls.code === 0 && isWant(tls.stdout), `TLS client: ${tls.stdout}${tls.stderr}`);
      const refused = await run(
        "mkdir -p /tmp/nocert && cp ~/.docker/ca.pem /tmp/nocert/ && DOCKER_CERT_PATH=/tmp/nocert docker --tlsverify -H tcp://127.0.0.1:2376 version",
      );
      ctx.log(`without a client certificate: code ${refused.code}: ${refused.stderr.trim()}`);
      check(refused.code !== 0 && !refused.stdout.includes(want), `no-cert client got in: ${refused.stdout}`);
      check(
        /tls|certificate/i.test(refused.stderr),
        `no-cert client failed for another reason: ${refused.stderr}`,
      );
      const plain = await run("docker -H tcp://127.0.0.1:2376 version");
      check(plain.code !== 0, "a plain HTTP client got in on :2376");
      const ps2 = await until(
        run,
        "docker ps --format '{{.Names}}'",
        (r) => r.stdout.includes("keeper"),
        120_000,
      );
      check(ps2.stdout.includes("keeper"), `keeper not running after the TLS restart: ${ps2.stdout}`);
      await powerOff(vm, key);
    } finally {
      await vm.kill();
    }

    // A switch holds for every boot: the engine kept on the state partition is loaded at boot and
    // User Docker comes up on it, its containers and TLS as they were.
    const again = await bootWith(ctx, "reboot", { stateDisk: join(ctx.dir, "state.raw") });
    try {
      await again.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      // Logging in proves the ssh key, given by the first boot's cloud-config only, was kept.
      const server = await waitUserDocker(again, key);
      check(isWant(server.stdout), `server version after the reboot: ${server.stdout}`);
      const host = (await ssh(again, key, "hostname")).stdout.trim();
      check(host === "corral-engine", `hostname after the reboot: '${host}'`);
      const list = await ssh(again, key, "corral engine list");
      check(list.stdout.includes(`current  ${version}`), `engine list after the reboot: ${list.stdout}`);
      const ps = await waitSsh(again, key, 120_000, "docker ps --format '{{.Names}}' | grep -x keeper");
      check(ps.stdout.trim() === "keeper", `keeper after the reboot: ${ps.stdout}`);
      const tls = await waitSsh(
        again,
        key,
        180_000,
        "docker --tlsverify -H tcp://127.0.0.1:2376 version --format '{{.Server.Version}}'",
      );
      check(isWant(tls.stdout), `TLS after the reboot: ${tls.stdout}`);
    } finally {
      await again.kill();
    }
  },
};
