import { formatId, type HostIpsec } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import type { Row } from "../store/rows.ts";
import type { HostNetworkFields } from "./allocation.ts";
import type { IpsecKeys } from "./ipsec-keys.ts";

type Host = Row<HostFields & HostNetworkFields>;

/**
 * The IPsec part of one host's view: a tunnel to every other host of the environment that has a
 * slice and an address. Hosts that are disconnected stay peers: their containers keep running while
 * their agent is away, and the tunnel comes back by itself when they do. Null while this host has no
 * slice or address of its own (nothing to tunnel), or when the keys are unknown.
 */
export function ipsecViewFor(hosts: Host[], hostId: string, keys: IpsecKeys | null): HostIpsec | null {
  const self = hosts.find((h) => formatId("host", h.id) === hostId);
  const localIp = self?.data.agentIpAddress;
  if (!keys || !self?.data.hostSubnet || !localIp) return null;
  const peers: HostIpsec["peers"] = [];
  const seen = new Set<string>([localIp]);
  for (const h of hosts) {
    const id = formatId("host", h.id);
    const ip = h.data.agentIpAddress;
    // Two hosts behind one address (a re-registered machine) cannot both be IKE peers: keep the first.
    if (id === hostId || !h.data.hostSubnet || !ip || seen.has(ip)) continue;
    seen.add(ip);
    peers.push({ hostId: id, agentIp: ip, subnet: h.data.hostSubnet });
  }
  return { localIp, psk: keys.psk, previousPsk: keys.previousPsk, peers };
}
