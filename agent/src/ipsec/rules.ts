import type { TableRules } from "../ports/rules.ts";
import { type DataPlane, tunDevice } from "./config.ts";

/** Names of the IPsec controller's filter chains. */
export const ipsecChains = {
  /** Traffic from other slices that did not come out of a tunnel (FORWARD, INPUT). */
  inbound: "CORRAL-IPSEC-IN",
  /** Traffic to other slices that would not go into a tunnel (FORWARD, OUTPUT). */
  outbound: "CORRAL-IPSEC-OUT",
} as const;

/**
 * The filter rules that keep the overlay from ever carrying a packet in clear: managed traffic
 * between this host's slice and any other slice must leave through a tunnel and arrive from one,
 * else it is dropped. When a tunnel is down, charon's route to the peer's slice is gone and the
 * packet would follow the default route out of the host unencrypted: these rules stop it there.
 * On the userspace plane "through a tunnel" is the TUN device; on the kernel plane it is an IPsec
 * policy match. The rules stay while charon is down, so a dead daemon never means clear traffic.
 * In iptables-save's own form, so an unchanged set is recognised and not restored again.
 */
export function renderIpsecRules(plane: DataPlane, cidr: string, slice: string): TableRules {
  const tunnelOut = plane === "userspace" ? `! -o ${tunDevice}` : "-m policy --dir out --pol none";
  const tunnelIn = plane === "userspace" ? `! -i ${tunDevice}` : "-m policy --dir in --pol none";
  const { inbound, outbound } = ipsecChains;
  return {
    table: "filter",
    chains: new Map([
      [
        inbound,
        [
          // Traffic of this slice (containers among themselves, the host to them) is not overlay traffic.
          `-A ${inbound} -s ${slice} -j RETURN`,
          `-A ${inbound} -s ${cidr} ${tunnelIn} -j DROP`,
        ],
      ],
      [outbound, [`-A ${outbound} -d ${slice} -j RETURN`, `-A ${outbound} -d ${cidr} ${tunnelOut} -j DROP`]],
    ]),
    jumps: [
      ["FORWARD", inbound],
      ["FORWARD", outbound],
      ["INPUT", inbound],
      ["OUTPUT", outbound],
    ],
  };
}
