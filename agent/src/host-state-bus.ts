import type { HostState } from "@corral/api";
import type { Logger } from "@corral/lib";

/** Something that keeps one piece of host state in line with the server's network view. */
export type HostStateListener = (state: HostState) => void | Promise<void>;

/**
 * Hands the latest network view to every network controller (network, ports, dns, metadata,
 * load balancers, ipsec). Each listener gets the whole view and computes its whole desired state from it;
 * a newer view replaces an older one that a slow listener has not taken yet, so listeners never
 * work through a backlog. The last view is kept, so a listener added later starts from it, and a
 * reconnect does not lose what the host already knows.
 */
export class HostStateBus {
  private latest: HostState | null = null;
  private readonly listeners = new Map<HostStateListener, { busy: boolean; pending: HostState | null }>();

  constructor(private readonly logger?: Logger) {}

  /** The most recent view, or null before the first one. */
  get current(): HostState | null {
    return this.latest;
  }

  /**
   * Publishes a new view. Views arrive in the session's order (the session rebuilds them by
   * sequence number), and a new session's snapshot is the truth even when its version is lower (a
   * server restored from a backup): so the latest published always wins.
   */
  publish(state: HostState): void {
    this.latest = state;
    for (const [listener, slot] of this.listeners) this.deliver(listener, slot, state);
  }

  /** Adds a listener; it receives the current view at once when there is one. Returns a remover. */
  subscribe(listener: HostStateListener): () => void {
    const slot = { busy: false, pending: null as HostState | null };
    this.listeners.set(listener, slot);
    if (this.latest) this.deliver(listener, slot, this.latest);
    return () => this.listeners.delete(listener);
  }

  private deliver(
    listener: HostStateListener,
    slot: { busy: boolean; pending: HostState | null },
    state: HostState,
  ): void {
    if (slot.busy) {
      slot.pending = state;
      return;
    }
    slot.busy = true;
    void (async () => {
      let next: HostState | null = state;
      while (next) {
        slot.pending = null;
        try {
          await listener(next);
        } catch (e) {
          this.logger?.error("host state listener failed", { error: e });
        }
        next = slot.pending;
      }
      slot.busy = false;
    })();
  }
}
