import type { UserData } from "./user-data.ts";

/** One interface as a cloud describes it: matched by MAC (or name), static addresses or DHCP. */
export interface InterfaceMeta {
  mac?: string;
  name?: string;
  dhcp?: boolean;
  /** CIDR addresses (`10.0.0.5/24`). */
  addresses: string[];
  gateway?: string;
  gateway_ipv6?: string;
  mtu?: number;
  /** A bond this interface is a slave of (Equinix Metal). */
  bond?: string;
}

/** The network a cloud describes, where it describes one. */
export interface NetworkMeta {
  interfaces: InterfaceMeta[];
  /** Bonds to create, name -> mode (Equinix Metal's `bonding.mode`). */
  bonds?: Record<string, { mode: string }>;
  nameservers?: string[];
  /** Addresses the cloud reports but configures itself (DHCP clouds): shown, never applied. */
  info?: Record<string, string>;
}

/** What a datasource gave: user-data, SSH keys, hostname and network where the cloud provides them. */
export interface Found {
  source: string;
  data?: UserData;
  sshKeys?: string[];
  hostname?: string;
  network?: NetworkMeta;
}

/** Thrown by a probe when its datasource is not (yet) there: retried with backoff for network ones. */
export class Unavailable extends Error {}

/** How HTTP datasources reach their metadata server; injectable so tests point at a stand-in. */
export interface HttpContext {
  fetcher: typeof fetch;
  /** Per request; metadata servers answer in milliseconds when they exist. */
  timeoutMs: number;
}

/**
 * GETs a metadata path. A connection error, a timeout or a 5xx means the server is not there (yet):
 * Unavailable. 404 is an answer (the key is not set): undefined. Other statuses are errors.
 */
export async function getText(
  ctx: HttpContext,
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<string | undefined> {
  const res = await getResponse(ctx, url, headers, method);
  return res ? await res.text() : undefined;
}

/** Like {@link getText} but returns the response (headers checked by GCE, bytes kept for user-data). */
export async function getResponse(
  ctx: HttpContext,
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Response | undefined> {
  let res: Response;
  try {
    res = await ctx.fetcher(url, { method, headers, signal: AbortSignal.timeout(ctx.timeoutMs) });
  } catch (e) {
    throw new Unavailable(`${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.status === 404) return undefined;
  if (res.status >= 500) throw new Unavailable(`${url}: HTTP ${res.status}`);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

/** GETs and parses JSON; undefined on 404, an error for a body that is not JSON. */
export async function getJson<T = unknown>(
  ctx: HttpContext,
  url: string,
  headers: Record<string, string> = {},
): Promise<T | undefined> {
  const text = await getText(ctx, url, headers);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${url}: not JSON`);
  }
}

/** The prefix length of a dotted netmask (255.255.255.0 -> 24); undefined for a non-contiguous mask. */
export function maskToPrefix(mask: string): number | undefined {
  const parts = mask.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? 32 : bits.indexOf("0")) : undefined;
}

/** SSH key lines: trimmed, comments and blanks dropped, duplicates removed in order. */
export function keyLines(text: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of (text ?? "").split("\n")) {
    const line = raw.trim();
    if (line && !line.startsWith("#") && !out.includes(line)) out.push(line);
  }
  return out;
}

/**
 * The config layer a cloud's metadata becomes (`cloud-config.d/00-metadata.yml`, the lowest drop-in,
 * so the user's own config wins): the hostname, and static interfaces by MAC with the cloud's DNS.
 * SSH keys are not in it: they are appended to the user's, not replaced (RancherOS semantics).
 */
export function metadataLayer(found: Found): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  if (found.hostname) layer.hostname = found.hostname;
  const net = found.network;
  if (!net) return layer;
  const interfaces: Record<string, Record<string, unknown>> = {};
  for (const [name, bond] of Object.entries(net.bonds ?? {})) {
    interfaces[name] = { bond_opts: { mode: bond.mode, miimon: 100 } };
  }
  for (const i of net.interfaces) {
    const key = i.bond ? (i.mac ? `mac:${i.mac}` : (i.name ?? "")) : i.mac ? `mac:${i.mac}` : i.name;
    if (!key) continue;
    if (i.bond) {
      interfaces[key] = { bond: i.bond };
      continue;
    }
    const entry: Record<string, unknown> = {};
    if (i.dhcp) entry.dhcp = true;
    if (i.addresses.length) entry.addresses = i.addresses;
    if (i.gateway) entry.gateway = i.gateway;
    if (i.gateway_ipv6) entry.gateway_ipv6 = i.gateway_ipv6;
    if (i.mtu) entry.mtu = i.mtu;
    if (Object.keys(entry).length) interfaces[key] = { ...(interfaces[key] ?? {}), ...entry };
  }
  const network: Record<string, unknown> = {};
  if (Object.keys(interfaces).length) network.interfaces = interfaces;
  if (net.nameservers?.length) network.dns = { nameservers: net.nameservers };
  if (Object.keys(network).length) layer.corral = { network };
  return layer;
}
