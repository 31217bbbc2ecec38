// A user's cloud-config takes effect: hostname, write_files, ssh key, runcmd, the server (HTTPS on 8443,
// plain HTTP on 8080 redirecting off-loopback clients) with this host active, and User Docker runs the
// user's containers apart from System Docker's. Three more NICs get the network config: a bond of two
// (active-backup) with a VLAN on it, and a bridge with the third.

import type { Vm } from "../../../../qemu/vm.ts";
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

/** The extra NICs' MAC addresses (eth1..eth3 in PCI order; the config names them by MAC). */
const nics = ["52:54:00:00:01:01", "52:54:00:00:01:02", "52:54:00:00:01:03"];

/**
 * What the kernel made of the network config, read over ssh from /sys (the console shares the
 * host's network). The extra NICs are eth1..eth3 in PCI order; the config names them by MAC, which
 * the check confirms: a bond gives its slaves its own address, so theirs is read from perm_hwaddr.
 */
async function checkNetwork(vm: Vm, key: string): Promise<void> {
  const read = async (cmd: string) => (await ssh(vm, key, cmd)).stdout.trim();
  const mode = await read("cat /sys/class/net/bond0/bonding/mode /sys/class/net/bond0/bonding/miimon");
  check(mode === "active-backup 1\n100", `bond0 mode and miimon: '${mode}'`);
  const slaves = (await read("cat /sys/class/net/bond0/bonding/slaves")).split(" ").sort();
  check(slaves.join(" ") === "eth1 eth2", `bond0 slaves: '${slaves.join(" ")}'`);
  const perm = await read(
    "cat /sys/class/net/eth1/bonding_slave/perm_hwaddr /sys/class/net/eth2/bonding_slave/perm_hwaddr",
  );
  check(perm === `${nics[0]}\n${nics[1]}`, `the slaves' own addresses: '${perm}'`);
  const vlan = await read(
    "cat /sys/class/net/bond0.100/mtu; ls /sys/class/net/bond0.100 | grep -c '^lower_bond0$'",
  );
  check(vlan === "1400\n1", `bond0.100 (mtu 1400, on bond0): '${vlan}'`);
  const bridge = await read("ls /sys/class/net/br0/brif; cat /sys/class/net/eth3/address");
  check(bridge === `eth3\n${nics[2]}`, `br0's ports and eth3's address: '${bridge}'`);
  const addrs = await read("ip -4 -o addr");
  for (const a of ["10.1.0.2/24", "10.100.0.2/24", "10.2.0.2/24"])
    check(addrs.includes(`inet ${a}`), `address ${a} missing: ${addrs}`);
  // eth0 kept its DHCP lease (ssh came in through it).
  check(/eth0\s+inet 10\.0\.2\.15\/24/.test(addrs), `eth0's lease missing: ${addrs}`);
}

/** Cloud-config applied end to end. */
export const testCase: TestCase = {
  description:
    "cloud-config sets hostname, files, ssh key, runcmd, network (bond, VLAN, bridge), server; API over HTTPS; User Docker apart",
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
${serverConfig}  network:
    interfaces:
      "mac:${nics[0]}": {bond: bond0}
      "mac:${nics[1]}": {bond: bond0}
      bond0:
        bond_opts: {miimon: 100, mode: active-backup}
        vlans: "100"
        address: 10.1.0.2/24
      bond0.100: {address: 10.100.0.2/24, mtu: 1400}
      "mac:${nics[2]}": {bridge: br0}
      br0: {bridge: true, address: 10.2.0.2/24}
`;
    // Three more NICs: two bonded (a VLAN on the bond), one in a bridge; eth0 keeps DHCP and ssh.
    const vm = await bootWith(ctx, "apply", { cloudConfig, extraNics: nics });
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
      await checkNetwork(vm, key);
      ctx.log("bond (active-backup) of two NICs, a VLAN on it, a bridge with the third: as configured");

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
