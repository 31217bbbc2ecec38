import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "./host.ts";

type InterfaceConfig = NonNullable<
  NonNullable<NonNullable<CorralConfig["corral"]>["network"]>["interfaces"]
>[string];

/** Interfaces present, with their MAC, from /sys/class/net (lo excluded: it is always just brought up). */
export function listInterfaces(root = "/"): { name: string; mac: string }[] {
  try {
    return readdirSync(join(root, "sys/class/net"))
      .filter((n) => n !== "lo")
      .sort()
      .map((name) => {
        let mac = "";
        try {
          mac = readFileSync(join(root, "sys/class/net", name, "address"), "utf8").trim();
        } catch {}
        return { name, mac };
      });
  } catch {
    return [];
  }
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(name);
}

/** The config of one interface: an exact name wins over `mac:xx`, which wins over a glob (RancherOS order). */
export function interfaceConfig(
  config: CorralConfig,
  name: string,
  mac: string,
): InterfaceConfig | undefined {
  const all = config.corral?.network?.interfaces ?? {};
  if (all[name]) return all[name];
  const byMac = Object.entries(all).find(([k]) => k.toLowerCase() === `mac:${mac.toLowerCase()}`);
  if (byMac) return byMac[1];
  return Object.entries(all).find(([k]) =>
    k.includes("*") || k.includes("?") ? globMatch(k, name) : false,
  )?.[1];
}

/** The commands that configure the network: `ip` for static addresses, busybox udhcpc for DHCP. */
export function networkCommands(
  config: CorralConfig,
  interfaces: { name: string; mac: string }[],
): [string, string[]][] {
  const cmds: [string, string[]][] = [["ip", ["link", "set", "dev", "lo", "up"]]];
  for (const { name, mac } of interfaces) {
    const c = interfaceConfig(config, name, mac);
    if (!c) continue;
    for (const line of c.pre_up ?? []) cmds.push(["sh", ["-c", line]]);
    if (c.mtu) cmds.push(["ip", ["link", "set", "dev", name, "mtu", String(c.mtu)]]);
    cmds.push(["ip", ["link", "set", "dev", name, "up"]]);
    for (const addr of [...(c.address ? [c.address] : []), ...(c.addresses ?? [])])
      cmds.push(["ip", ["addr", "add", addr, "dev", name]]);
    if (c.gateway) cmds.push(["ip", ["route", "add", "default", "via", c.gateway, "dev", name]]);
    if (c.gateway_ipv6)
      cmds.push(["ip", ["-6", "route", "add", "default", "via", c.gateway_ipv6, "dev", name]]);
    // -b: go to background if no lease yet, so a missing DHCP server does not stall the boot.
    if (c.dhcp)
      cmds.push([
        "udhcpc",
        [
          "-b",
          "-i",
          name,
          "-t",
          "3",
          "-T",
          "2",
          "-p",
          `/run/udhcpc.${name}.pid`,
          ...(c.dhcp_args?.split(/\s+/).filter(Boolean) ?? []),
        ],
      ]);
    for (const line of c.post_up ?? []) cmds.push(["sh", ["-c", line]]);
  }
  return cmds;
}

/** resolv.conf from `corral.network.dns`, or undefined to leave DHCP's. */
export function resolvConf(config: CorralConfig): string | undefined {
  const dns = config.corral?.network?.dns;
  if (!dns?.nameservers?.length && !dns?.search?.length) return undefined;
  const lines = [
    ...(dns.search?.length ? [`search ${dns.search.join(" ")}`] : []),
    ...(dns.nameservers ?? []).map((n) => `nameserver ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Configures the network. A failing command is reported but does not stop the others. */
export async function setupNetwork(host: Host, config: CorralConfig): Promise<string[]> {
  const errors: string[] = [];
  const net = config.corral?.network;
  const cmds: [string, string[]][] = [
    ...(net?.pre_cmds ?? []).map((l): [string, string[]] => ["sh", ["-c", l]]),
    ...networkCommands(config, listInterfaces(host.root)),
    ...(net?.post_cmds ?? []).map((l): [string, string[]] => ["sh", ["-c", l]]),
  ];
  for (const [file, args] of cmds) {
    try {
      await host.run(file, args);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  const resolv = resolvConf(config);
  if (resolv) writeFileSync(join(host.root, "etc/resolv.conf"), resolv);
  return errors;
}
