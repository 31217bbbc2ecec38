import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "./host.ts";
import { describeStep, interfaceConfig, type Link, type NetStep, networkPlan } from "./network-plan.ts";
import { wpaSupplicantConf } from "./wifi.ts";

export { interfaceConfig, type Link, networkPlan } from "./network-plan.ts";

/** Interfaces present, with their MAC, from /sys/class/net (lo excluded: it is always just brought up). */
export function listInterfaces(root = "/"): Link[] {
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

/** The steps as `[program, args]` pairs: sysfs writes become `sh -c 'printf ... > "$1"'` (no quoting of values). */
export function networkCommands(config: CorralConfig, links: readonly Link[]): [string, string[]][] {
  return networkPlan(config, links).map(toCommand);
}

function toCommand(s: NetStep): [string, string[]] {
  if ("run" in s) return s.run;
  return ["sh", ["-c", 'printf "%s\\n" "$2" > "$1"', "sh", s.write[0], s.write[1]]];
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

/** Writes the wpa_supplicant.conf of every wireless link that names a `wifi_network`; returns errors. */
export function writeWifiConfigs(root: string, config: CorralConfig, links: readonly Link[]): string[] {
  const errors: string[] = [];
  for (const { name, mac } of links) {
    const net = interfaceConfig(config, name, mac)?.wifi_network;
    if (net === undefined) continue;
    try {
      mkdirSync(join(root, "var/run"), { recursive: true });
      writeFileSync(
        join(root, `var/run/wpa_supplicant-${name}.conf`),
        wpaSupplicantConf(config, String(net)),
        { mode: 0o600 },
      );
    } catch (e) {
      errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return errors;
}

/**
 * Applies the network config to `links` (default: those in /sys/class/net): pre_cmds, the plan
 * (bonds, bridges, VLANs, addresses, DHCP, wifi), post_cmds, resolv.conf. A failing step is
 * reported but does not stop the others, so one bad interface never leaves the machine offline.
 */
export async function setupNetwork(
  host: Host,
  config: CorralConfig,
  links = listInterfaces(host.root),
): Promise<string[]> {
  const net = config.corral?.network;
  const errors = writeWifiConfigs(host.root, config, links);
  let plan: NetStep[];
  try {
    plan = networkPlan(config, links);
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
    plan = [];
  }
  const steps: NetStep[] = [
    ...(net?.pre_cmds ?? []).map((l): NetStep => ({ run: ["sh", ["-c", l]] })),
    ...plan,
    ...(net?.post_cmds ?? []).map((l): NetStep => ({ run: ["sh", ["-c", l]] })),
  ];
  for (const step of steps) {
    const [file, args] = toCommand(step);
    try {
      await host.run(file, args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // A link that exists already is taken as it is: loading the bonding driver makes bond0 by
      // itself, and a config applied again finds its bridges and VLANs there.
      if (file === "ip" && args[0] === "link" && args[1] === "add" && /File exists/.test(message)) continue;
      errors.push(`${describeStep(step)}: ${message}`);
    }
  }
  const resolv = resolvConf(config);
  if (resolv) writeFileSync(join(host.root, "etc/resolv.conf"), resolv);
  return errors;
}

/** Datasources that ask a server over the network (everything but drives, files and guestinfo). */
export function needsNetwork(datasources: readonly string[], cmdlineUrl: string | undefined): boolean {
  if (cmdlineUrl) return true;
  return datasources.some((d) => !/^(configdrive|nocloud|cidata|proxmox|vmware|file)(:|$)/.test(d));
}

/**
 * DHCP before the datasources, for the links the early config (defaults, OEM, command line) puts on
 * DHCP: one lease each, in parallel, then udhcpc quits (`-q`; the network phase starts the ones that
 * stay). Metadata services are reached over this, as RancherOS's cloud-init-save ran netconf first.
 * A link without a lease is a warning: the datasources then find nothing and the boot goes on.
 */
export async function earlyDhcp(host: Host, config: CorralConfig, links: readonly Link[]): Promise<string[]> {
  const dhcp = links.filter((l) => {
    const c = interfaceConfig(config, l.name, l.mac);
    return c?.dhcp && !c.bond && typeof c.bridge !== "string";
  });
  const results = await Promise.allSettled(
    dhcp.map(async ({ name }) => {
      await host.run("ip", ["link", "set", "dev", name, "up"]);
      await host.run(
        "udhcpc",
        ["-i", name, "-n", "-q", "-t", "3", "-T", "2", "-p", `/run/udhcpc-early.${name}.pid`],
        {
          timeoutMs: 30_000,
        },
      );
    }),
  );
  return results.flatMap((r, i) =>
    r.status === "rejected"
      ? [
          `${dhcp[i]?.name}: no early DHCP lease (${r.reason instanceof Error ? r.reason.message : String(r.reason)})`,
        ]
      : [],
  );
}
