import { tables } from "../api/live.ts";
import type { Host } from "../api/types.ts";
import { Badge } from "./badge.tsx";
import { byteSize } from "./host-usage.tsx";

/**
 * A host card's IPsec part, as its agent last reported it: the data plane, how many tunnels to the
 * other hosts are up, and each tunnel with its state, why it is not up, and what went through it.
 */
export function HostTunnels(props: { host: Host }) {
  const h = props.host;
  const peers = h.ipsecPeers ?? [];
  if (!h.ipsecDataPlane && peers.length === 0) return null;
  const up = peers.filter((p) => p.state === "up").length;
  return (
    <div class="host-tunnels" data-testid="ipsec">
      <h4>
        IPsec: {peers.length === 0 ? "no other host to reach" : `${up} of ${peers.length} tunnels up`}
        {h.ipsecDataPlane ? <span class="muted"> ({h.ipsecDataPlane} data plane)</span> : null}
      </h4>
      {peers.length === 0 ? null : (
        <ul>
          {peers.map((p) => (
            <li key={p.hostId} data-peer={p.hostId}>
              {/* peek: a peer's name never changes, and its other changes are not this card's. */}
              to {tables.host.row(p.hostId)?.peek().hostname ?? p.agentIp}{" "}
              <Badge value={p.state} label="Tunnel" />{" "}
              {p.state === "up" ? (
                <span class="muted">
                  {byteSize(p.bytesIn)} in · {byteSize(p.bytesOut)} out
                </span>
              ) : p.reason ? (
                <span class="error">{p.reason}</span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
