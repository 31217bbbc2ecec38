import {
  type Found,
  getJson,
  getResponse,
  type HttpContext,
  type InterfaceMeta,
  keyLines,
  maskToPrefix,
  type NetworkMeta,
  Unavailable,
} from "./metadata.ts";
import { decodeUserData } from "./user-data.ts";

/** OpenStack's metadata service (the same documents are on its config drive). */
export const openstackDefault = "http://169.254.169.254";

/** `meta_data.json` fields CorralOS reads. */
export interface OpenstackMeta {
  uuid?: string;
  hostname?: string;
  name?: string;
  public_keys?: Record<string, string>;
}

/** `network_data.json`: links (NICs by MAC), networks on them, DNS services. */
export interface OpenstackNetworkData {
  links?: { id?: string; ethernet_mac_address?: string; mtu?: number | null; type?: string }[];
  networks?: {
    link?: string;
    type?: string;
    ip_address?: string;
    netmask?: string;
    routes?: { network?: string; netmask?: string; gateway?: string }[];
  }[];
  services?: { type?: string; address?: string }[];
}

/**
 * Turns `network_data.json` into interfaces by MAC: `ipv4`/`ipv6` networks become static
 * addresses (a `0.0.0.0`/`::` route gives the gateway), `*_dhcp` networks DHCP.
 */
export function openstackNetwork(nd: OpenstackNetworkData | undefined): NetworkMeta | undefined {
  if (!nd?.links?.length) return undefined;
  const interfaces: InterfaceMeta[] = [];
  for (const link of nd.links) {
    const nets = (nd.networks ?? []).filter((n) => n.link === link.id);
    const i: InterfaceMeta = {
      addresses: [],
      ...(link.ethernet_mac_address ? { mac: link.ethernet_mac_address.toLowerCase() } : {}),
    };
    if (link.mtu) i.mtu = link.mtu;
    for (const n of nets) {
      if (n.type?.endsWith("_dhcp") || n.type === "dhcp4" || n.type === "dhcp6") i.dhcp = true;
      if (!n.ip_address) continue;
      const v6 = n.type === "ipv6" || n.ip_address.includes(":");
      const prefix = n.ip_address.includes("/")
        ? ""
        : `/${v6 ? (n.netmask && /^\d+$/.test(n.netmask) ? n.netmask : 64) : (maskToPrefix(n.netmask ?? "") ?? 32)}`;
      i.addresses.push(`${n.ip_address}${prefix}`);
      for (const r of n.routes ?? []) {
        if (r.network === "0.0.0.0" && r.gateway) i.gateway = r.gateway;
        if (r.network === "::" && r.gateway) i.gateway_ipv6 = r.gateway;
      }
    }
    interfaces.push(i);
  }
  const nameservers = (nd.services ?? [])
    .filter((s) => s.type === "dns" && s.address)
    .map((s) => s.address as string);
  return { interfaces, ...(nameservers.length ? { nameservers } : {}) };
}

/** Hostname and keys of `meta_data.json`. */
export function openstackMeta(m: OpenstackMeta): Pick<Found, "hostname" | "sshKeys"> {
  const hostname = m.hostname ?? m.name;
  return {
    sshKeys: Object.values(m.public_keys ?? {}).flatMap((k) => keyLines(k)),
    ...(hostname ? { hostname } : {}),
  };
}

/** OpenStack over HTTP: `/openstack/latest/{meta_data.json,user_data,network_data.json}`. */
export async function readOpenstack(base: string, ctx: HttpContext): Promise<Found> {
  const root = `${base}/openstack/latest`;
  const m = await getJson<OpenstackMeta>(ctx, `${root}/meta_data.json`);
  if (!m?.uuid) throw new Unavailable(`openstack: ${root}/meta_data.json has no uuid`);
  const ud = await getResponse(ctx, `${root}/user_data`);
  const bytes = ud ? new Uint8Array(await ud.arrayBuffer()) : undefined;
  const network = openstackNetwork(await getJson<OpenstackNetworkData>(ctx, `${root}/network_data.json`));
  return {
    source: `openstack (${base})`,
    ...(bytes?.length ? { data: decodeUserData(bytes) } : {}),
    ...openstackMeta(m),
    ...(network ? { network } : {}),
  };
}
