import { formatId, parseId } from "@corral/api";
import type { AgentState, HostFields } from "../model/host.ts";
import type { Store } from "../store/store.ts";

/** How often agents ping and when a silent host changes state. */
export interface LivenessTimings {
  pingIntervalMs: number;
  /** Silence after which a host is `reconnecting` (Rancher: a few missed pings). */
  reconnectingAfterMs: number;
  /** Silence after which a host is `disconnected`. */
  disconnectedAfterMs: number;
}

/** The defaults: pings every 5 s; 3 missed pings to reconnecting, 30 s to disconnected. */
export const defaultTimings: LivenessTimings = {
  pingIntervalMs: 5000,
  reconnectingAfterMs: 15_000,
  disconnectedAfterMs: 30_000,
};

/**
 * Tracks when each host was last heard from, in memory (a ping must not cost a write), and moves
 * hosts' `agentState` through active -> reconnecting -> disconnected as silence grows. Only state
 * changes reach the store.
 */
export class HostLiveness {
  private readonly lastSeen = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  /** Hosts get a grace period after a server start: their agents need a moment to reconnect. */
  private readonly startedAt = Date.now();
  private readonly sweepEveryMs: number;
  private lastSweepAt = Date.now();

  constructor(
    private readonly store: Store,
    private readonly timings: LivenessTimings,
    /** Called when a connected host has been silent too long: its session is dead, whatever TCP says. */
    private readonly onSilent: (hostId: string) => void = () => {},
  ) {
    this.sweepEveryMs = Math.min(1000, timings.pingIntervalMs);
    this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.timer.unref?.();
  }

  /** Records that a host's agent spoke now; a host that was not active becomes active. */
  seen(hostId: string, now = Date.now()): void {
    const before = this.lastSeen.get(hostId);
    this.lastSeen.set(hostId, now);
    if (before === undefined) this.setState(hostId, "active");
  }

  /** When the host was last heard from, or null. */
  lastSeenAt(hostId: string): number | null {
    return this.lastSeen.get(hostId) ?? null;
  }

  /** The agent's socket closed: the host is reconnecting until it comes back or stays silent too long. */
  disconnected(hostId: string): void {
    this.lastSeen.delete(hostId);
    this.setState(hostId, "reconnecting", Date.now());
  }

  /**
   * Checks every host's silence and updates states that changed. A sweep that runs late (this
   * process was starved of CPU or paused) changes nothing: pings that arrived meanwhile still wait in
   * the socket buffers, so the silence it measures may be the server's own, not the agents'.
   */
  sweep(now = Date.now()): void {
    const late = now - this.lastSweepAt > 2 * this.sweepEveryMs + 250;
    this.lastSweepAt = now;
    if (late) return;
    const hosts = this.store.all<HostFields>("host", { state: ["active", "inactive"] });
    for (const host of hosts) {
      const id = formatId("host", host.id);
      const last = this.lastSeen.get(id) ?? Math.max(host.data.lastPingAt ?? 0, this.startedAt);
      const silence = now - last;
      let next: AgentState = host.data.agentState;
      if (this.lastSeen.has(id))
        next =
          silence > this.timings.disconnectedAfterMs
            ? "disconnected"
            : silence > this.timings.reconnectingAfterMs
              ? "reconnecting"
              : "active";
      else if (host.data.agentState !== "registering")
        next = silence > this.timings.disconnectedAfterMs ? "disconnected" : "reconnecting";
      if (next !== host.data.agentState) this.setState(id, next);
      if (next === "disconnected" && this.lastSeen.has(id)) this.onSilent(id);
    }
  }

  /** Stops the sweep timer. */
  stop(): void {
    clearInterval(this.timer);
  }

  private setState(hostId: string, state: AgentState, lastPingAt?: number): void {
    const n = parseId("host", hostId);
    if (n === null) return;
    const host = this.store.get<HostFields>(n);
    if (host?.type !== "host" || host.state === "removed") return;
    if (host.data.agentState === state && lastPingAt === undefined) return;
    this.store.update(n, { data: { agentState: state, ...(lastPingAt ? { lastPingAt } : {}) } });
  }
}
