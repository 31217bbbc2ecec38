import type { IpsecPeer, IpsecPeerStatus } from "@corral/api";
import { connName } from "./config.ts";
import type { IkeSa } from "./sas.ts";

/**
 * charon's words for why a tunnel could not be made, as `swanctl --initiate` prints them, and what
 * an operator should read instead. The first match in the output wins, most specific first.
 */
const reasons: Array<[RegExp, string]> = [
  [/AUTHENTICATION_FAILED/, "authentication failed: the peer refused our pre-shared key (the keys differ)"],
  [
    /authentication of .* with pre-shared key failed|verification of AUTH payload.*failed/i,
    "authentication failed: the peer's pre-shared key differs from ours",
  ],
  [/no shared key found/i, "no pre-shared key for this peer"],
  [/NO_PROPOSAL_CHOSEN/, "no common proposal with the peer"],
  [/TS_UNACCEPTABLE/, "the peer does not accept our slice (traffic selectors differ)"],
  [
    /unable to install IPsec policies|error installing route/i,
    "cannot install the tunnel's routes or policies on this host",
  ],
  [
    /giving up after \d+ retransmits|peer not responding|establishing IKE_SA failed, peer not responding/i,
    "the peer does not answer on UDP 500/4500",
  ],
  [/no config named|no matching config/i, "the peer has no connection for this host yet"],
];

/** The operator-facing reason in swanctl's output, or null when it tells of no known failure. */
export function reasonFromOutput(output: string): string | null {
  for (const [re, text] of reasons) if (re.test(output)) return text;
  const failed = /initiate failed: (.*)/.exec(output);
  return failed ? `initiate failed: ${failed[1]!.trim()}` : null;
}

/** True when an IKE SA carries traffic: established, with an installed child SA. */
export function isUp(sa: IkeSa): boolean {
  return (
    (sa.state === "ESTABLISHED" || sa.state === "REKEYING") &&
    sa.children.some((c) => c.state === "INSTALLED" || c.state === "REKEYING" || c.state === "REKEYED")
  );
}

/**
 * Each peer's tunnel from charon's SAs: up when an IKE SA with an installed child exists (bytes
 * summed over its children), connecting while an SA is being made, down when there is none; a down
 * or connecting tunnel carries the last failure reason seen for it.
 */
export function peerStatuses(
  peers: IpsecPeer[],
  sas: IkeSa[],
  lastError: ReadonlyMap<string, string>,
): IpsecPeerStatus[] {
  return peers.map((peer) => {
    const mine = sas.filter((sa) => sa.name === connName(peer.hostId));
    const up = mine.filter(isUp);
    let bytesIn = 0;
    let bytesOut = 0;
    for (const sa of up)
      for (const child of sa.children) {
        bytesIn += child.bytesIn;
        bytesOut += child.bytesOut;
      }
    const base = { hostId: peer.hostId, agentIp: peer.agentIp, bytesIn, bytesOut };
    if (up.length > 0) return { ...base, state: "up" as const };
    const reason = lastError.get(peer.hostId);
    if (mine.length > 0)
      return {
        ...base,
        state: "connecting" as const,
        reason: reason ?? `IKE SA ${mine[0]!.state.toLowerCase()}`,
      };
    return { ...base, state: "down" as const, reason: reason ?? "no IKE SA with this peer" };
  });
}
