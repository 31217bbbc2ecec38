import type { CorralConfig } from "../config/config-schema.ts";

/** One interface's config (`corral.network.interfaces.<key>`). */
export type InterfaceConfig = NonNullable<
  NonNullable<NonNullable<CorralConfig["corral"]>["network"]>["interfaces"]
>[string];

/** A link present on the machine. */
export interface Link {
  name: string;
  mac: string;
}

/**
 * One step of applying the network: a program to run, or a value to write to a sysfs file (bond
 * options, as RancherOS set them: busybox `ip` takes no bond arguments). Writes are run as
 * `sh -c 'printf ... > "$1"'` by the applier, so they follow the runner into a namespace.
 */
export type NetStep = { run: [string, string[]] } | { write: [string, string] };

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(name);
}

/** Whether an entry's pattern (its `match`, else its key) names this link: a name, `mac:..` or a glob. */
function matches(pattern: string, name: string, mac: string): "name" | "mac" | "glob" | undefined {
  if (pattern === name) return "name";
  if (pattern.toLowerCase().startsWith("mac:"))
    return mac && pattern.slice(4).toLowerCase() === mac.toLowerCase() ? "mac" : undefined;
  if ((pattern.includes("*") || pattern.includes("?")) && globMatch(pattern, name)) return "glob";
  return undefined;
}

/**
 * The config of one link: an exact name wins over `mac:xx`, which wins over a glob (RancherOS
 * order). An entry with `match:` is matched by that pattern instead of its key (the key is a label).
 */
export function interfaceConfig(
  config: CorralConfig,
  name: string,
  mac: string,
): InterfaceConfig | undefined {
  const all = Object.entries(config.corral?.network?.interfaces ?? {});
  for (const kind of ["name", "mac", "glob"] as const) {
    const hit = all.find(([k, c]) => matches(c.match ?? k, name, mac) === kind);
    if (hit) return hit[1];
  }
  return undefined;
}

/** `vlans: "100,200:name"`: VLAN ids, each named `<parent>.<id>` unless given a name. */
export function parseVlans(parent: string, spec: string | undefined): { id: number; name: string }[] {
  return (spec ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [idText = "", name] = s.split(":");
      const id = Number(idText);
      if (!Number.isInteger(id) || id < 1 || id > 4094)
        throw new Error(`vlans of ${parent}: '${s}' is not a VLAN id 1-4094`);
      const vname = name?.trim() || `${parent}.${id}`;
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(vname))
        throw new Error(`vlans of ${parent}: '${vname}' is not an interface name`);
      return { id, name: vname };
    });
}

const ip = (...args: string[]): NetStep => ({ run: ["ip", args] });

/** Layer 3 of one link: MTU, up, addresses, gateways, DHCP, hooks. */
function l3Steps(name: string, c: InterfaceConfig, enslaved: boolean): NetStep[] {
  const steps: NetStep[] = [];
  if (c.mtu) steps.push(ip("link", "set", "dev", name, "mtu", String(c.mtu)));
  steps.push(ip("link", "set", "dev", name, "up"));
  // A bond slave or bridge port carries no addresses of its own (RancherOS skipped them too).
  if (enslaved) return steps;
  for (const addr of [...(c.address ? [c.address] : []), ...(c.addresses ?? [])])
    steps.push(ip("addr", "add", addr, "dev", name));
  if (c.gateway) steps.push(ip("route", "add", "default", "via", c.gateway, "dev", name));
  if (c.gateway_ipv6) steps.push(ip("-6", "route", "add", "default", "via", c.gateway_ipv6, "dev", name));
  // -b: go to background if no lease yet, so a missing DHCP server does not stall the boot.
  if (c.dhcp)
    steps.push({
      run: [
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
      ],
    });
  return steps;
}

/** Bond options in the order the kernel needs them: `mode` first (it must be set while no slave is in). */
function bondOptionSteps(bond: string, opts: Record<string, string | number | boolean>): NetStep[] {
  const entries = Object.entries(opts).sort(([a], [b]) => (a === "mode" ? -1 : b === "mode" ? 1 : 0));
  return entries.map(([k, v]) => {
    if (!/^[a-z_]+$/.test(k)) throw new Error(`bond_opts of ${bond}: '${k}' is not a bonding option`);
    return { write: [`/sys/class/net/${bond}/bonding/${k}`, String(v)] };
  });
}

/**
 * The steps that make the network match `config` on these links, in the order the kernel needs:
 * bonds (options before slaves), slaves enslaved, bridges, VLANs on their parents (a link, a bond
 * or a bridge), bridge ports attached, then layer 3 on every link that is not a slave or port.
 * Pure: the same config and links give the same steps. Throws on a config that cannot be applied
 * (a bad VLAN id, a link that is in two bonds).
 */
export function networkPlan(config: CorralConfig, present: readonly Link[]): NetStep[] {
  const entries = config.corral?.network?.interfaces ?? {};
  const steps: NetStep[] = [ip("link", "set", "dev", "lo", "up")];
  const known = new Map(present.map((l) => [l.name, l]));
  const cfg = (name: string) => interfaceConfig(config, name, known.get(name)?.mac ?? "");

  // Virtual links named by the config: a key with bond_opts or `bridge: true`, or a slave's `bond:`
  // / a port's `bridge:` value. Keys with globs, `mac:` or `match:` only describe existing links.
  const plainKey = (k: string, c: InterfaceConfig) =>
    !c.match && !/[*?]/.test(k) && !k.toLowerCase().startsWith("mac:");
  const bonds = new Set<string>();
  const bridges = new Set<string>();
  for (const [k, c] of Object.entries(entries)) {
    if (plainKey(k, c) && c.bond_opts && !known.has(k)) bonds.add(k);
    if (plainKey(k, c) && c.bridge === true && !known.has(k)) bridges.add(k);
  }
  const members = [...present.map((l) => l.name)];
  for (const name of members) {
    const c = cfg(name);
    if (c?.bond) bonds.add(c.bond);
    if (typeof c?.bridge === "string" && c.bridge !== "true") bridges.add(c.bridge);
  }
  for (const b of bonds) {
    steps.push(ip("link", "add", b, "type", "bond"));
    steps.push(...bondOptionSteps(b, cfg(b)?.bond_opts ?? {}));
  }
  const enslaved = new Set<string>();
  for (const name of members) {
    const bond = cfg(name)?.bond;
    if (!bond) continue;
    steps.push(ip("link", "set", "dev", name, "down"), ip("link", "set", "dev", name, "master", bond));
    enslaved.add(name);
  }
  for (const br of bridges) steps.push(ip("link", "add", br, "type", "bridge"));
  // VLANs on physical links, bonds and bridges; they may in turn be bridge ports.
  const vlans: string[] = [];
  for (const parent of [...members, ...bonds, ...bridges]) {
    for (const v of parseVlans(parent, cfg(parent)?.vlans)) {
      steps.push(ip("link", "add", "link", parent, "name", v.name, "type", "vlan", "id", String(v.id)));
      vlans.push(v.name);
    }
  }
  for (const name of [...members, ...bonds, ...vlans]) {
    const br = cfg(name)?.bridge;
    if (typeof br !== "string" || br === "true" || enslaved.has(name)) continue;
    steps.push(ip("link", "set", "dev", name, "master", br));
    enslaved.add(name);
  }
  // Layer 3, parents before children: slaves up first, then bonds, bridges and VLANs.
  for (const name of [...members, ...bonds, ...bridges, ...vlans]) {
    const c = cfg(name) ?? (bonds.has(name) || bridges.has(name) || vlans.includes(name) ? {} : undefined);
    if (!c) continue;
    const wifi = c.wifi_network !== undefined;
    for (const line of c.pre_up ?? []) steps.push({ run: ["sh", ["-c", line]] });
    if (wifi)
      steps.push({
        run: [
          "wpa_supplicant",
          [
            "-B",
            "-i",
            name,
            "-c",
            `/var/run/wpa_supplicant-${name}.conf`,
            "-P",
            `/run/wpa_supplicant.${name}.pid`,
          ],
        ],
      });
    steps.push(...l3Steps(name, c, enslaved.has(name)));
    for (const line of c.post_up ?? []) steps.push({ run: ["sh", ["-c", line]] });
  }
  return steps;
}

/** A step as one readable line (logs, tests). */
export function describeStep(s: NetStep): string {
  return "run" in s ? [s.run[0], ...s.run[1]].join(" ") : `echo ${s.write[1]} > ${s.write[0]}`;
}
