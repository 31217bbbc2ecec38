import type { HostFacts } from "@corral/api";

/** Agent connection states, as Rancher showed them. */
export type AgentState = "registering" | "active" | "reconnecting" | "disconnected";

/** Stored fields of a host. */
export interface HostFields {
  hostname: string;
  uuid: string;
  description?: string;
  labels: Record<string, string>;
  info: HostFacts | null;
  agentState: AgentState;
  agentAccountId: string;
  agentIpAddress: string;
  lastPingAt: number | null;
}
