// Applies a RancherOS bond + VLAN + bridge config for real, with the real `ip`, inside a network
// namespace of its own (veth links stand for NICs). Root and `ip netns` are needed; run it under
// the host lock: flock /tmp/corral-host.lock bun test os/src/system/network-netns.test.ts
//
// This machine's kernel has no bonding, 8021q or dummy driver: what the kernel cannot make is
// checked as a reported failure (the other steps still run); where it can (Debian's kernel), the
// links themselves are checked with `ip -d link`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execa } from "execa";
import { bondVlanBridge } from "../../testing/network-configs.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { parseConfigText } from "../config/load-config.ts";
import type { Host } from "./host.ts";
import { hotplugHandler, UeventWatcher, ueventCommand } from "./hotplug.ts";
import { setupNetwork } from "./network.ts";

const ns = `corral-net-${process.pid}`;
const inNs = (args: string[]) => execa("ip", ["netns", "exec", ns, ...args], { reject: false });

async function why(): Promise<string> {
  if (process.getuid?.() !== 0) return "needs root";
  const r = await execa("ip", ["netns", "list"], { reject: false });
  return r.exitCode === 0 ? "" : `ip netns unusable: ${r.stderr}`;
}
const skip = await why();
if (skip) console.warn(`skipping network namespace test: ${skip}`);

/** What the namespace's kernel can create, probed before the test. */
const supports: Record<string, boolean> = {};

interface IpLink {
  ifname: string;
  master?: string;
  link?: string;
  mtu?: number;
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

async function links(): Promise<Map<string, IpLink>> {
  const r = await inNs(["ip", "-d", "-j", "link", "show"]);
  return new Map((JSON.parse(r.stdout) as IpLink[]).map((l) => [l.ifname, l]));
}

async function addresses(dev: string): Promise<string[]> {
  const r = await inNs(["ip", "-j", "-4", "addr", "show", "dev", dev]);
  if (r.exitCode !== 0) return [];
  const [l] = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return (l?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

describe.skipIf(skip !== "")("network config applied in a network namespace", () => {
  beforeAll(async () => {
    await execa("ip", ["netns", "add", ns]);
    for (const [i, mac] of ["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"].entries()) {
      const r = await inNs([
        "ip",
        "link",
        "add",
        `eth${i}`,
        "address",
        mac,
        "type",
        "veth",
        "peer",
        "name",
        `peer${i}`,
      ]);
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }
    for (const [kind, args] of [
      ["bond", ["type", "bond"]],
      ["bridge", ["type", "bridge"]],
      ["vlan", ["link", "peer0", "type", "vlan", "id", "5"]],
    ] as const) {
      const r = await inNs(["ip", "link", "add", `probe-${kind}`, ...args]);
      supports[kind] = r.exitCode === 0;
      await inNs(["ip", "link", "del", `probe-${kind}`]);
    }
  });
  afterAll(async () => {
    await execa("ip", ["netns", "del", ns], { reject: false });
  });

  test("bond + VLANs + bridge: links, masters, modes and addresses as configured", async () => {
    const host: Host = {
      root: "/nonexistent-root",
      run: async (file, args) => {
        const r = await inNs([file, ...args]);
        if (r.exitCode !== 0) throw new Error(r.stderr.trim());
        return r.stdout;
      },
    };
    const config = parseConfigText(`#cloud-config\n${bondVlanBridge}`, "netns.yml") as CorralConfig;
    const errors = await setupNetwork(host, config, [
      { name: "eth0", mac: "52:54:00:00:00:01" },
      { name: "eth1", mac: "52:54:00:00:00:02" },
      { name: "eth2", mac: "52:54:00:00:00:03" },
    ]);
    const got = await links();
    console.info(`kernel here: bond ${supports.bond}, vlan ${supports.vlan}, bridge ${supports.bridge}`);

    expect(supports.bridge).toBe(true);
    expect(got.get("br0")?.linkinfo?.info_kind).toBe("bridge");
    expect(got.get("eth2")?.master).toBe("br0");
    expect(await addresses("br0")).toEqual(["10.2.0.2/24"]);

    if (supports.bond) {
      const bond = got.get("bond0");
      expect(bond?.linkinfo?.info_kind).toBe("bond");
      expect(bond?.linkinfo?.info_data).toMatchObject({ mode: "active-backup", miimon: 100 });
      expect(got.get("eth0")?.master).toBe("bond0");
      expect(got.get("eth1")?.master).toBe("bond0");
      expect(await addresses("bond0")).toEqual(["10.1.0.2/24"]);
    } else {
      expect(errors.some((e) => e.startsWith("ip link add bond0 type bond:"))).toBe(true);
    }
    if (supports.bond && supports.vlan) {
      expect(got.get("bond0.100")?.linkinfo?.info_data).toMatchObject({ id: 100 });
      expect(got.get("bond0.100")?.link).toBe("bond0");
      expect(got.get("bond0.100")?.mtu).toBe(1400);
      expect(await addresses("bond0.100")).toEqual(["10.100.0.2/24"]);
      expect(got.get("vl200")?.master).toBe("br0");
      expect(errors).toEqual([]);
    } else {
      expect(errors.some((e) => e.includes("type vlan id 100"))).toBe(true);
    }
  });

  test("a veth plugged after boot is seen through kernel uevents and configured", async () => {
    const host: Host = {
      root: "/nonexistent-root",
      run: async (file, args) => {
        const r = await inNs([file, ...args]);
        if (r.exitCode !== 0) throw new Error(r.stderr.trim());
        return r.stdout;
      },
    };
    const config = parseConfigText(
      "#cloud-config\nrancher:\n  network:\n    interfaces:\n      hp0: {address: 10.9.0.1/24, mtu: 1400}\n",
      "hotplug.yml",
    ) as CorralConfig;
    const reports: string[] = [];
    const watcher = new UeventWatcher(
      hotplugHandler(
        host,
        () => config,
        [],
        (l) => void reports.push(l),
      ),
      ueventCommand(["ip", "netns", "exec", ns]),
    );
    try {
      await watcher.started;
      // The listener binds its socket just after it starts: plug again until an event is seen.
      const deadline = Date.now() + 60_000;
      let n = 0;
      while (!reports.some((r) => r.startsWith("link added: hp0")) && Date.now() < deadline) {
        if (n === 0 || reports.length === 0) {
          await inNs(["ip", "link", "del", "hp0"]);
          const r = await inNs(["ip", "link", "add", "hp0", "type", "veth", "peer", "name", `hpeer${n++}`]);
          if (r.exitCode !== 0) throw new Error(r.stderr);
        }
        await Bun.sleep(200);
      }
      expect(reports.find((r) => r.startsWith("link added: hp0"))).toMatch(
        /^link added: hp0 \([0-9a-f:]{17}\), 3 step\(s\)$/,
      );
      let addrs: string[] = [];
      while (Date.now() < deadline) {
        addrs = await addresses("hp0");
        if (addrs.length) break;
        await Bun.sleep(100);
      }
      expect(addrs).toEqual(["10.9.0.1/24"]);
      expect((await links()).get("hp0")?.mtu).toBe(1400);
    } finally {
      await watcher.stop();
    }
  });
});
