// A user's cloud-config takes effect: hostname, write_files, ssh key, runcmd, the server (HTTPS on 8443,
// plain HTTP on 8080 redirecting off-loopback clients) with this host active, and User Docker runs the
// user's containers apart from System Docker's.
import {
  adminAuth,
  apiFetch,
  bootTimeoutMs,
  bootWith,
  check,
  keyPair,
  loadTestImage,
  serverConfig,
  ssh,
  type TestCase,
  waitHttp,
  waitSsh,
} from "../../../lib/harness.ts";

/** Cloud-config applied end to end. */
export const testCase: TestCase = {
  description:
    "cloud-config sets hostname, files, ssh key, runcmd, server; API over HTTPS; User Docker apart",
  timeoutMs: 900_000,
  async run(ctx) {
    const { key, pub } = await keyPair(ctx.dir);
    const cloudConfig = `#cloud-config
hostname: corral-t1
ssh_authorized_keys:
  - ${pub}
write_files:
  - path: /home/corral/hello.txt
    permissions: "0644"
    content: hello from cloud-config
runcmd:
  - echo ran > /home/corral/runcmd.txt
corral:
${serverConfig}`;
    const vm = await bootWith(ctx, "apply", { cloudConfig });
    try {
      await vm.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      await waitSsh(vm, key, 300_000);
      const host = await ssh(vm, key, "hostname");
      check(host.stdout.trim() === "corral-t1", `hostname is '${host.stdout.trim()}'`);
      const file = await ssh(vm, key, "cat /home/corral/hello.txt");
      check(
        file.stdout.trim() === "hello from cloud-config",
        `write_files: '${file.stdout.trim()}' ${file.stderr}`,
      );
      // runcmd runs once the system services are up, which may be after sshd answers.
      const ran = await waitSsh(vm, key, 180_000, "cat /home/corral/runcmd.txt");
      check(ran.stdout.trim() === "ran", `runcmd wrote '${ran.stdout.trim()}'`);
      ctx.log("hostname, write_files, ssh key and runcmd took effect");

      await waitHttp(vm, "/v2-beta", 300_000, adminAuth);
      ctx.log("API answers over HTTPS on 8443 with a certificate of the server's CA");
      // Forwarded connections reach the guest from 10.0.2.2: plain HTTP gives them a redirect only.
      const plain = await fetch(`http://127.0.0.1:${vm.httpPort}/v2-beta/hosts`, {
        headers: adminAuth,
        redirect: "manual",
      });
      check(
        plain.status === 307 && (plain.headers.get("location") ?? "").startsWith("https://127.0.0.1:8443/"),
        `plain HTTP from outside the guest: HTTP ${plain.status} ${plain.headers.get("location")}`,
      );
      // The local agent (--join) registers this host; it must become active.
      const deadline = Date.now() + 240_000;
      let hosts = "";
      while (Date.now() < deadline && !hosts.includes('"agentState":"active"')) {
        const r = await apiFetch(vm, "/v2-beta/hosts", adminAuth);
        hosts = await r.text();
        if (!hosts.includes('"agentState":"active"')) await Bun.sleep(3000);
      }
      check(hosts.includes('"agentState":"active"'), `host not active: ${hosts.slice(0, 300)}`);
      ctx.log("host active");

      await loadTestImage(vm, key, ctx.dir);
      const run = await ssh(vm, key, "docker run -d --name t1 corral-test/busybox sleep 600");
      check(run.code === 0, `docker run failed: ${run.stderr}`);
      const ps = await ssh(vm, key, "docker ps --format '{{.Names}}'");
      check(ps.code === 0, `docker ps failed: ${ps.stderr}`);
      const names = ps.stdout.split("\n").map((n) => n.trim());
      check(names.includes("t1"), `user container missing from docker ps: ${ps.stdout}`);
      for (const sys of ["console", "user-docker", "server", "syslog", "network"]) {
        check(!names.includes(sys), `system container ${sys} visible in User Docker`);
      }
      ctx.log("container runs in User Docker; no system containers there");
    } finally {
      await vm.kill();
    }
  },
};
