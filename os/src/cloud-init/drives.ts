import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { findByLabel } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import { openstackMeta, openstackNetwork } from "./clouds-openstack.ts";
import {
  type Found,
  type InterfaceMeta,
  keyLines,
  maskToPrefix,
  type NetworkMeta,
  Unavailable,
} from "./metadata.ts";
import { decodeUserData, type UserData } from "./user-data.ts";

/** Reads user-data from a mounted config drive (`openstack/latest/user_data`) or NoCloud (`user-data`) dir. */
export function readDriveDir(dir: string): UserData | undefined {
  for (const rel of ["openstack/latest/user_data", "user-data", "user_data"]) {
    const p = join(dir, rel);
    if (existsSync(p)) return decodeUserData(readFileSync(p));
  }
  return undefined;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function readYaml(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

type V1Subnet = { type?: string; address?: string; netmask?: string; gateway?: string };
type V1Entry = {
  type?: string;
  name?: string;
  mac_address?: string;
  mtu?: number;
  subnets?: V1Subnet[];
  address?: string[] | string;
};
type V2Eth = {
  match?: { macaddress?: string };
  dhcp4?: boolean;
  addresses?: string[];
  gateway4?: string;
  gateway6?: string;
  mtu?: number;
  nameservers?: { addresses?: string[] };
};

/** cloud-init `network-config` v1 (Proxmox writes this) or v2 (netplan-like) as interfaces. */
export function nocloudNetwork(doc: unknown): NetworkMeta | undefined {
  const d = (doc ?? {}) as {
    version?: number;
    config?: V1Entry[];
    ethernets?: Record<string, V2Eth>;
    network?: unknown;
  };
  if (d.network && !d.version) return nocloudNetwork(d.network);
  const interfaces: InterfaceMeta[] = [];
  const nameservers: string[] = [];
  if (d.version === 1) {
    for (const e of d.config ?? []) {
      if (e.type === "nameserver") nameservers.push(...[e.address ?? []].flat());
      if (e.type !== "physical") continue;
      const i: InterfaceMeta = {
        addresses: [],
        ...(e.name ? { name: e.name } : {}),
        ...(e.mac_address ? { mac: e.mac_address.toLowerCase() } : {}),
      };
      if (e.mtu) i.mtu = e.mtu;
      for (const s of e.subnets ?? []) {
        if (s.type?.startsWith("dhcp")) i.dhcp = true;
        if (s.address) {
          const prefix = s.address.includes("/") ? "" : `/${maskToPrefix(s.netmask ?? "") ?? 32}`;
          i.addresses.push(`${s.address}${prefix}`);
        }
        if (s.gateway) i[s.gateway.includes(":") ? "gateway_ipv6" : "gateway"] = s.gateway;
      }
      interfaces.push(i);
    }
  } else if (d.version === 2) {
    for (const [name, e] of Object.entries(d.ethernets ?? {})) {
      const mac = e.match?.macaddress?.toLowerCase();
      interfaces.push({
        ...(mac ? { mac } : { name }),
        addresses: e.addresses ?? [],
        ...(e.dhcp4 ? { dhcp: true } : {}),
        ...(e.gateway4 ? { gateway: e.gateway4 } : {}),
        ...(e.gateway6 ? { gateway_ipv6: e.gateway6 } : {}),
        ...(e.mtu ? { mtu: e.mtu } : {}),
      });
      nameservers.push(...(e.nameservers?.addresses ?? []));
    }
  }
  if (!interfaces.length && !nameservers.length) return undefined;
  return { interfaces, ...(nameservers.length ? { nameservers: [...new Set(nameservers)] } : {}) };
}

/** The top-level keys a CorralOS cloud-config may have; generic cloud-init user-data has more. */
const knownKeys = [
  "hostname",
  "ssh_authorized_keys",
  "write_files",
  "runcmd",
  "bootcmd",
  "mounts",
  "corral",
  "rancher",
];

/**
 * Generic cloud-init user-data (what Proxmox generates: `users`, `chpasswd`, `package_upgrade`...)
 * reduced to what CorralOS reads; keys of `users[].ssh_authorized_keys` become SSH keys.
 */
export function genericUserData(data: UserData): { data?: UserData; sshKeys: string[]; dropped: string[] } {
  if (data.kind !== "cloud-config") return { data, sshKeys: [], dropped: [] };
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(data.text) ?? {}) as Record<string, unknown>;
  } catch {
    return { data, sshKeys: [], dropped: [] };
  }
  const users = Array.isArray(doc.users) ? (doc.users as { ssh_authorized_keys?: string[] }[]) : [];
  const sshKeys = users.flatMap((u) => (Array.isArray(u?.ssh_authorized_keys) ? u.ssh_authorized_keys : []));
  const kept = Object.fromEntries(Object.entries(doc).filter(([k]) => knownKeys.includes(k)));
  const dropped = Object.keys(doc).filter((k) => !knownKeys.includes(k));
  return { data: { kind: "cloud-config", text: `#cloud-config\n${stringify(kept)}` }, sshKeys, dropped };
}

/**
 * Everything a mounted drive says: OpenStack config drive (`openstack/latest/{user_data,
 * meta_data.json,network_data.json}`) or NoCloud (`user-data`, `meta-data`, `network-config`).
 */
export function readDrive(dir: string, source: string, generic = false): Found | undefined {
  let data = readDriveDir(dir);
  const os = join(dir, "openstack/latest");
  const found: Found = { source, sshKeys: [] };
  if (existsSync(join(os, "meta_data.json"))) {
    Object.assign(found, openstackMeta((readJson(join(os, "meta_data.json")) ?? {}) as object));
    const net = openstackNetwork(readJson(join(os, "network_data.json")) as never);
    if (net) found.network = net;
  }
  const meta = readYaml(join(dir, "meta-data")) as Record<string, unknown> | undefined;
  if (meta && typeof meta === "object") {
    const h = meta["local-hostname"] ?? meta.hostname;
    if (typeof h === "string") found.hostname = h;
    const keys = meta["public-keys"];
    found.sshKeys?.push(
      ...(Array.isArray(keys) ? keys.flatMap((k) => keyLines(String(k))) : keyLines(keys as string)),
    );
  }
  const net = nocloudNetwork(readYaml(join(dir, "network-config")));
  if (net) found.network = net;
  if (data && generic) {
    const g = genericUserData(data);
    data = g.data;
    found.sshKeys?.push(...g.sshKeys);
    if (g.dropped.length) found.source += ` (cloud-init keys not read: ${g.dropped.join(", ")})`;
  }
  if (data) found.data = data;
  if (!data && !meta && !found.hostname && !found.network) return undefined;
  return found;
}

/** Mounts a labelled drive read-only, reads it, unmounts it; Unavailable when no such drive. */
export async function fromDrive(
  host: Host,
  labels: string[],
  devices: string[],
  name: string,
  generic = false,
): Promise<Found> {
  const device = findByLabel(labels, devices);
  if (!device) throw new Unavailable(`${name}: no drive labelled ${labels.join(" or ")}`);
  const target = `/run/corral/datasource-${name}`;
  mkdirSync(join(host.root, target), { recursive: true });
  await host.run("mount", ["-o", "ro", device, target]);
  try {
    const found = readDrive(join(host.root, target), `${name} (${device})`, generic);
    if (!found) throw new Unavailable(`${name}: ${device} holds no user-data or metadata`);
    return found;
  } finally {
    await host.run("umount", [target]).catch(() => "");
  }
}
