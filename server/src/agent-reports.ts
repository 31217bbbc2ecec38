import { type AgentFrame, parseId } from "@corral/api";
import type { HubHandlers } from "./hub/hub.ts";
import type { ContainerFields } from "./model/container.ts";
import type { HostFields } from "./model/host.ts";
import { recordIpsecReport } from "./network/ipsec-health.ts";
import { recordLbStatus } from "./network/lb-status.ts";
import { applyObservations, resumeHost } from "./services/container-lifecycle.ts";
import type { Dispatcher } from "./services/context.ts";
import type { Store } from "./store/store.ts";

const factsEveryMs = 30_000;

/**
 * Folds agents' reports into the store: facts at hello and at most every 30 s after (a ping must
 * not cost a write), container states from every hello and ping (only changes are written), and
 * on hello, unfinished container transitions are resumed.
 */
export function agentReportHandlers(store: Store, dispatcher: () => Dispatcher): HubHandlers {
  const factsWritten = new Map<string, number>();
  const ipsecWritten = new Map<string, number>();
  const writeFacts = (hostId: string, facts: Extract<AgentFrame, { type: "hello" }>["facts"] | undefined) => {
    const n = parseId("host", hostId);
    if (n === null || !facts) return;
    factsWritten.set(hostId, Date.now());
    store.update<HostFields>(n, { data: { info: facts, hostname: facts.hostname } });
  };
  return {
    onHello(hostId, frame) {
      writeFacts(hostId, frame.facts);
      applyObservations(store, hostId, frame.containers, true);
      resumeHost(store, dispatcher(), hostId);
      recordIpsecReport(store, hostId, frame.ipsec, ipsecWritten);
      recordLbStatus(store, hostId, frame.loadBalancers);
    },
    onPing(hostId, frame) {
      if (frame.facts && Date.now() - (factsWritten.get(hostId) ?? 0) > factsEveryMs)
        writeFacts(hostId, frame.facts);
      applyObservations(store, hostId, frame.containers, true);
      recordIpsecReport(store, hostId, frame.ipsec, ipsecWritten);
      recordLbStatus(store, hostId, frame.loadBalancers);
    },
    onContainerEvent(hostId, frame) {
      if (frame.container) applyObservations(store, hostId, [frame.container], false);
    },
    onHealthEvent(hostId, frame) {
      const n = parseId("container", frame.containerId);
      const row = n === null ? null : store.get<ContainerFields>(n);
      // Only the container's own host may report its health.
      if (row?.type !== "container" || row.data.hostId !== hostId || row.state === "removed") return;
      if (row.data.healthState === frame.healthState) return;
      store.update(row.id, { data: { healthState: frame.healthState, healthReason: frame.reason ?? "" } });
    },
  };
}
