import { describe, expect, test } from "bun:test";
import type { CorralConfig } from "../config/config-schema.ts";
import { parseConfigText } from "../config/load-config.ts";
import { hotplugHandler, parseUevent, type Uevent } from "./hotplug.ts";
import type { Link } from "./network-plan.ts";

const cfg = (yaml: string) => parseConfigText(`#cloud-config\n${yaml}`, "t.yml") as CorralConfig;
const ev = (action: string, subsystem: string, name: string, extra: Partial<Uevent> = {}): Uevent => ({
  action,
  subsystem,
  name,
  devtype: "",
  mac: "",
  ...extra,
});

function recorder() {
  const ran: string[] = [];
  const reports: string[] = [];
  const host = {
    root: "/",
    run: async (f: string, a: string[]) => {
      ran.push([f, ...a].join(" "));
      return "";
    },
  };
  return { ran, reports, host, report: (l: string) => void reports.push(l) };
}

describe("uevents", () => {
  test("lines of the busybox uevent script", () => {
    expect(parseUevent("add\tnet\teth3\t\t52:54:00:12:34:56")).toEqual(
      ev("add", "net", "eth3", { mac: "52:54:00:12:34:56" }),
    );
    expect(parseUevent("add\tblock\t/dev/vdb\tdisk\t")).toEqual(
      ev("add", "block", "vdb", { devtype: "disk" }),
    );
    expect(parseUevent("")).toBeUndefined();
    expect(parseUevent("add\tqueues\t\t\t")).toBeUndefined();
  });

  test("a new NIC gets only its own steps: its address, its bond membership, VLANs on it", async () => {
    const config = cfg(`rancher:
  network:
    interfaces:
      eth0: {address: 10.0.0.2/24}
      "mac:52:54:00:00:00:09": {bond: bond0}
      bond0: {bond_opts: {mode: active-backup}, vlans: "5"}
      eth3: {address: 10.3.0.2/24, vlans: "30"}
`);
    const known: Link[] = [{ name: "eth0", mac: "52:54:00:00:00:01" }];
    const r = recorder();
    const handle = hotplugHandler(r.host, () => config, known, r.report);
    await handle(ev("add", "net", "eth3", { mac: "52:54:00:00:00:03" }));
    expect(r.ran).toEqual([
      "ip link add link eth3 name eth3.30 type vlan id 30",
      "ip link set dev eth3 up",
      "ip addr add 10.3.0.2/24 dev eth3",
      "ip link set dev eth3.30 up",
    ]);
    expect(r.reports[0]).toBe("link added: eth3 (52:54:00:00:00:03), 4 step(s)");
    r.ran.length = 0;
    await handle(ev("add", "net", "eth9", { mac: "52:54:00:00:00:09" }));
    expect(r.ran).toEqual([
      "ip link set dev eth9 down",
      "ip link set dev eth9 master bond0",
      "ip link set dev eth9 up",
    ]);
    r.ran.length = 0;
    // Repeated add events, links the config makes itself, and lo do nothing.
    await handle(ev("add", "net", "eth3"));
    await handle(ev("add", "net", "eth3.30"));
    await handle(ev("add", "net", "bond0.5"));
    await handle(ev("add", "net", "lo"));
    // Docker's links, even under a catch-all glob, and links no entry names are left alone, quietly.
    const all = hotplugHandler(
      r.host,
      () => cfg('rancher:\n  network:\n    interfaces:\n      "*": {dhcp: true}\n'),
      [],
      r.report,
    );
    await all(ev("add", "net", "veth3f2a1b0"));
    await all(ev("add", "net", "docker0"));
    await all(ev("add", "net", "br-0123456789ab"));
    await handle(ev("add", "net", "wg0"));
    expect(r.reports).toHaveLength(2);
    expect(r.ran).toEqual([]);
    // A link removed and plugged again is configured again.
    await handle(ev("remove", "net", "eth3"));
    await handle(ev("add", "net", "eth3"));
    expect(r.ran).toContain("ip addr add 10.3.0.2/24 dev eth3");
  });

  test("disks are reported; partitions too; other block changes are not", async () => {
    const r = recorder();
    const handle = hotplugHandler(r.host, () => ({}), [], r.report);
    await handle(ev("add", "block", "vdb", { devtype: "disk" }));
    await handle(ev("add", "block", "vdb1", { devtype: "partition" }));
    await handle(ev("change", "block", "loop0", { devtype: "disk" }));
    await handle(ev("remove", "block", "vdb", { devtype: "disk" }));
    expect(r.reports).toEqual([
      "disk added: /dev/vdb",
      "partition added: /dev/vdb1",
      "disk removed: /dev/vdb",
    ]);
    expect(r.ran).toEqual([]);
  });
});
