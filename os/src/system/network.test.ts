import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bondVlanBridge } from "../../testing/network-configs.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { parseConfigText } from "../config/load-config.ts";
import { serviceEnvironment } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import { networkCommands, setupNetwork } from "./network.ts";
import { describeStep, networkPlan, parseVlans } from "./network-plan.ts";
import { proxyEnv } from "./proxy.ts";
import { wpaSupplicantConf } from "./wifi.ts";

/** A RancherOS-style config, through the real parser (so `rancher:` keys are what is tested). */
const cfg = (yaml: string) => parseConfigText(`#cloud-config\n${yaml}`, "test.yml") as CorralConfig;

const links = [
  { name: "eth0", mac: "52:54:00:00:00:01" },
  { name: "eth1", mac: "52:54:00:00:00:02" },
  { name: "eth2", mac: "52:54:00:00:00:03" },
];

describe("network plan", () => {
  test("bond (mode first, then options), slaves, bridge, VLANs on the bond, ports, layer 3", () => {
    const steps = networkPlan(cfg(bondVlanBridge), links).map(describeStep);
    expect(steps).toEqual([
      "ip link set dev lo up",
      "ip link add bond0 type bond",
      "echo active-backup > /sys/class/net/bond0/bonding/mode",
      "echo 100 > /sys/class/net/bond0/bonding/miimon",
      "ip link set dev eth0 down",
      "ip link set dev eth0 master bond0",
      "ip link set dev eth1 down",
      "ip link set dev eth1 master bond0",
      "ip link add br0 type bridge",
      "ip link add link bond0 name bond0.100 type vlan id 100",
      "ip link add link bond0 name vl200 type vlan id 200",
      "ip link set dev eth2 master br0",
      "ip link set dev vl200 master br0",
      "ip link set dev eth0 up",
      "ip link set dev eth1 up",
      "ip link set dev eth2 up",
      "ip link set dev bond0 up",
      "ip addr add 10.1.0.2/24 dev bond0",
      "ip route add default via 10.1.0.1 dev bond0",
      "ip link set dev br0 up",
      "ip addr add 10.2.0.2/24 dev br0",
      "ip link set dev bond0.100 mtu 1400",
      "ip link set dev bond0.100 up",
      "ip addr add 10.100.0.2/24 dev bond0.100",
      "ip link set dev vl200 up",
    ]);
  });

  test("VLANs on a plain link and on a bridge; DHCP and hooks; the eth* default still applies", () => {
    const c = cfg(`rancher:
  network:
    interfaces:
      "eth*": {dhcp: true}
      eth1: {vlans: "7", dhcp: true, dhcp_args: "-q", pre_up: ["echo pre"], post_up: ["echo post"]}
      br9: {bridge: true, vlans: "9"}
`);
    const steps = networkPlan(c, links).map(describeStep);
    expect(steps).toContain("ip link add link eth1 name eth1.7 type vlan id 7");
    expect(steps).toContain("ip link add link br9 name br9.9 type vlan id 9");
    expect(steps).toContain("udhcpc -b -i eth0 -t 3 -T 2 -p /run/udhcpc.eth0.pid");
    expect(steps).toContain("udhcpc -b -i eth1 -t 3 -T 2 -p /run/udhcpc.eth1.pid -q");
    const e1 = steps.indexOf("ip link set dev eth1 up");
    expect(steps[e1 - 1]).toBe("sh -c echo pre");
    expect(steps[e1 + 2]).toBe("sh -c echo post");
    // eth1.7 matches eth* too (RancherOS matched globs on every link).
    expect(steps).toContain("udhcpc -b -i eth1.7 -t 3 -T 2 -p /run/udhcpc.eth1.7.pid");
  });

  test("match: a labelled entry matched by MAC or glob; exact name beats mac beats glob", () => {
    const c = cfg(`corral:
  network:
    interfaces:
      uplink: {match: "mac:52:54:00:00:00:03", address: 192.168.9.9/24}
      lan: {match: "eth?", mtu: 9000}
      eth0: {address: 10.0.0.9/8}
`);
    const steps = networkPlan(c, links).map(describeStep);
    expect(steps).toContain("ip addr add 192.168.9.9/24 dev eth2");
    expect(steps).toContain("ip link set dev eth1 mtu 9000");
    expect(steps).toContain("ip addr add 10.0.0.9/8 dev eth0");
    expect(steps).not.toContain("ip link set dev eth0 mtu 9000");
    // No link named uplink or lan is created.
    expect(steps.some((s) => s.includes("add uplink") || s.includes("add lan"))).toBe(false);
  });

  test("bad VLANs and bond options are refused with the link's name", () => {
    expect(() => parseVlans("eth0", "5000")).toThrow("eth0: '5000' is not a VLAN id");
    expect(() => parseVlans("eth0", "10:this-name-is-far-too-long")).toThrow("not an interface name");
    expect(parseVlans("eth0", "10, 20:v20")).toEqual([
      { id: 10, name: "eth0.10" },
      { id: 20, name: "v20" },
    ]);
    const bad = cfg(`rancher:\n  network:\n    interfaces:\n      bond0: {bond_opts: {"../../x": 1}}\n`);
    expect(() => networkPlan(bad, links)).toThrow("not a bonding option");
  });

  test("bond option values never reach a shell unquoted", () => {
    const c = cfg(`rancher:\n  network:\n    interfaces:\n      bond0: {bond_opts: {mode: "1; reboot"}}\n`);
    const write = networkCommands(c, links).find(([, a]) => a.includes("/sys/class/net/bond0/bonding/mode"));
    expect(write).toEqual([
      "sh",
      ["-c", 'printf "%s\\n" "$2" > "$1"', "sh", "/sys/class/net/bond0/bonding/mode", "1; reboot"],
    ]);
  });

  test("a failing step is reported and the others still run", async () => {
    const ran: string[] = [];
    const root = mkdtempSync(join(tmpdir(), "corral-net-"));
    const errors = await setupNetwork(
      {
        root,
        run: async (f, a) => {
          ran.push([f, ...a].join(" "));
          if (a.includes("bond")) throw new Error("Unknown device type");
          if (a.join(" ") === "link add br0 type bridge") throw new Error("RTNETLINK answers: File exists");
          return "";
        },
      },
      cfg(bondVlanBridge),
      links,
    );
    expect(errors[0]).toContain("ip link add bond0 type bond: Unknown device type");
    expect(ran).toContain("ip addr add 10.2.0.2/24 dev br0");
    // A link that is there already is taken as it is.
    expect(errors.some((e) => e.includes("br0 type bridge"))).toBe(false);
  });
});

describe("wifi", () => {
  const wifi = (yaml: string) =>
    cfg(
      `rancher:\n  network:\n    interfaces:\n      wlan0: {wifi_network: home, dhcp: true}\n    wifi_networks:\n${yaml}`,
    );

  test("WPA-PSK with RancherOS's keys; the interface starts wpa_supplicant before DHCP", async () => {
    const c = wifi(`      home: {ssid: "My Net", psk: "correct horse", scan_ssid: 1}\n`);
    expect(wpaSupplicantConf(c, "home")).toBe(
      'ctrl_interface=/var/run/wpa_supplicant\nupdate_config=0\n\nnetwork={\n\tssid="My Net"\n\tscan_ssid=1\n\tkey_mgmt=WPA-PSK\n\tpsk="correct horse"\n}\n',
    );
    const steps = networkPlan(c, [{ name: "wlan0", mac: "" }]).map(describeStep);
    const wpa = steps.indexOf(
      "wpa_supplicant -B -i wlan0 -c /var/run/wpa_supplicant-wlan0.conf -P /run/wpa_supplicant.wlan0.pid",
    );
    expect(wpa).toBeGreaterThan(0);
    expect(steps.findIndex((s) => s.startsWith("udhcpc -b -i wlan0"))).toBeGreaterThan(wpa);
    const root = mkdtempSync(join(tmpdir(), "corral-wifi-"));
    await setupNetwork({ root, run: async () => "" }, c, [{ name: "wlan0", mac: "" }]);
    expect(readFileSync(join(root, "var/run/wpa_supplicant-wlan0.conf"), "utf8")).toContain('ssid="My Net"');
  });

  test("hex ssid for quotes, raw 64-hex psk, open and EAP networks", () => {
    expect(
      wpaSupplicantConf(wifi(`      home: {ssid: 'a"b', psk: "${"ab".repeat(32)}"}\n`), "home"),
    ).toContain(`\tssid=612262\n\tkey_mgmt=WPA-PSK\n\tpsk=${"ab".repeat(32)}\n`);
    expect(wpaSupplicantConf(wifi("      home: {ssid: cafe}\n"), "home")).toContain("key_mgmt=NONE");
    expect(
      wpaSupplicantConf(
        wifi("      home: {ssid: corp, eap: PEAP, identity: me, password: pw, phase2: auth=MSCHAPV2}\n"),
        "home",
      ),
    ).toContain('key_mgmt=WPA-EAP\n\teap=PEAP\n\tidentity="me"\n\tpassword="pw"\n\tphase2="auth=MSCHAPV2"');
  });

  test("bad wifi config: a clear error naming the entry, written to the errors not thrown at boot", async () => {
    expect(() => wpaSupplicantConf(wifi("      home: {ssid: x, psk: short}\n"), "home")).toThrow(
      "wifi_networks.home.psk",
    );
    expect(() => wpaSupplicantConf(wifi("      home: {ssid: x, bogus: 1}\n"), "home")).toThrow(
      "wifi_networks.home",
    );
    expect(() => wpaSupplicantConf(wifi("      home: {ssid: x}\n"), "work")).toThrow("'work' is not in");
    expect(() =>
      wpaSupplicantConf(wifi('      home: {ssid: x, eap: TTLS, password: "a\\"b"}\n'), "home"),
    ).toThrow("quotes");
    const root = mkdtempSync(join(tmpdir(), "corral-wifi-"));
    const c = wifi("      other: {ssid: x}\n");
    expect((await setupNetwork({ root, run: async () => "" }, c, [{ name: "wlan0", mac: "" }]))[0]).toContain(
      "wlan0: wifi_network 'home'",
    );
  });
});

describe("proxies", () => {
  const c = cfg(
    `rancher:\n  network:\n    http_proxy: http://proxy:3128\n    https_proxy: http://proxy:3128\n    no_proxy: localhost,10.0.0.0/8\n`,
  );

  test("both spellings for System Docker and the console; none when unset", () => {
    expect(proxyEnv(c)).toEqual({
      HTTP_PROXY: "http://proxy:3128",
      http_proxy: "http://proxy:3128",
      HTTPS_PROXY: "http://proxy:3128",
      https_proxy: "http://proxy:3128",
      NO_PROXY: "localhost,10.0.0.0/8",
      no_proxy: "localhost,10.0.0.0/8",
    });
    expect(proxyEnv({})).toEqual({});
  });

  test("User Docker's service environment carries them", () => {
    const spec = loadServiceDir(join(import.meta.dir, "../../../system-services")).find(
      (s) => s.name === "user-docker",
    );
    if (!spec) throw new Error("no user-docker service");
    const env = serviceEnvironment(spec, c);
    expect(env).toContain("HTTP_PROXY=http://proxy:3128");
    expect(env).toContain("NO_PROXY=localhost,10.0.0.0/8");
    expect(serviceEnvironment(spec, {})).toContain("HTTP_PROXY=");
  });
});

describe("datasource names in config", () => {
  test("RancherOS's names pass; a typo is refused with the names listed", () => {
    expect(
      cfg(
        "rancher:\n  cloud_init:\n    datasources: [ec2, 'gce', 'openstack:http://10.0.0.1', 'vmware:/guestinfo', '*', 'url:http://x/y', 'file:/a']\n",
      ).corral?.cloud_init?.datasources,
    ).toHaveLength(7);
    expect(() => cfg("rancher:\n  cloud_init:\n    datasources: [ec3]\n")).toThrow("not a datasource");
    expect(() => cfg("rancher:\n  cloud_init:\n    datasources: ['url:']\n")).toThrow("not a datasource");
  });
});

describe("network before the datasources", () => {
  test("only network datasources need it", async () => {
    const { needsNetwork } = await import("./network.ts");
    expect(needsNetwork(["configdrive", "nocloud", "vmware", "file:/x", "proxmox"], undefined)).toBe(false);
    expect(needsNetwork(["configdrive"], "http://x/")).toBe(true);
    expect(needsNetwork(["ec2"], undefined)).toBe(true);
    expect(needsNetwork(["*"], undefined)).toBe(true);
    expect(needsNetwork(["url:http://x"], undefined)).toBe(true);
  });

  test("one DHCP lease per DHCP link, in parallel; slaves and ports skipped; a failure is a warning", async () => {
    const { earlyDhcp } = await import("./network.ts");
    const ran: string[] = [];
    const host = {
      root: "/",
      run: async (f: string, a: string[]) => {
        ran.push([f, ...a].join(" "));
        if (f === "udhcpc" && a.includes("eth1")) throw new Error("no lease");
        return "";
      },
    };
    const c = cfg(
      `rancher:\n  network:\n    interfaces:\n      "eth*": {dhcp: true}\n      eth2: {bond: bond0, dhcp: true}\n`,
    );
    const warnings = await earlyDhcp(host, c, links);
    expect(ran).toContain("udhcpc -i eth0 -n -q -t 3 -T 2 -p /run/udhcpc-early.eth0.pid");
    expect(ran.some((r) => r.includes("eth2"))).toBe(false);
    expect(warnings).toEqual(["eth1: no early DHCP lease (no lease)"]);
  });
});
