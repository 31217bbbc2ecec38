import { formatId, type HostState } from "@corral/api";
import { createLogger } from "@corral/lib";
import type { HostFields } from "../model/host.ts";
import type { RowChange, Store } from "../store/store.ts";
import { ensureHostSlice } from "./allocation.ts";
import { hostStateFrom, loadProjectRows } from "./host-state.ts";

const log = createLogger("host-state");

/** What the publisher needs of the hub. */
export interface StateSink {
  isConnected(hostId: string): boolean;
  /** Sends a hostState frame to a host's agent; false when it is not connected. */
  sendState(hostId: string, frame: HostState): boolean;
}

/** Row types whose changes alter the network view of their environment. */
const watched = new Set(["container", "service", "stack", "host", "certificate"]);

/**
 * Sends each connected agent the whole network view of its host (`hostState`) whenever something it
 * is made of changes: changes are gathered per environment for `debounceMs`, then the environment's
 * version is bumped and every connected host of it gets its frame. An agent that says hello gets the
 * current view at once. Versions start from the clock, so they keep growing across server restarts.
 */
export class StatePublisher {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly versions = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly sink: StateSink,
    private readonly debounceMs = 100,
  ) {
    this.unsubscribe = store.onChange((change) => this.onChange(change));
  }

  /** Sends a host its current view now (after its agent's hello). */
  hello(hostId: string): void {
    const host = this.store.getByPublicId("host", hostId);
    if (!host?.projectId || this.stopped) return;
    const version = this.versions.get(host.projectId) ?? this.bump(host.projectId);
    this.publish(host.projectId, version, [hostId]);
  }

  /** Stops listening and cancels pending sends. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The current version of an environment's view (0 before the first one). */
  version(projectId: string): number {
    return this.versions.get(projectId) ?? 0;
  }

  private onChange({ row }: RowChange): void {
    if (this.stopped) return;
    if (row.type === "project") this.schedule(formatId("project", row.id));
    else if (watched.has(row.type) && row.projectId) this.schedule(row.projectId);
  }

  private schedule(projectId: string): void {
    if (this.timers.has(projectId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(projectId);
      if (this.stopped) return;
      try {
        this.publish(projectId, this.bump(projectId));
      } catch (e) {
        log.error("publishing host state failed", { projectId, error: e });
      }
    }, this.debounceMs);
    this.timers.set(projectId, timer);
  }

  private bump(projectId: string): number {
    const next = Math.max((this.versions.get(projectId) ?? 0) + 1, Date.now());
    this.versions.set(projectId, next);
    return next;
  }

  private publish(projectId: string, version: number, only?: string[]): void {
    const hostIds = (only ?? this.connectedHosts(projectId)).filter((h) => this.sink.isConnected(h));
    if (hostIds.length === 0) return;
    // A host gets its slice before its first view, so its network controller can make the bridge.
    for (const h of hostIds) ensureHostSlice(this.store, h);
    const rows = loadProjectRows(this.store, projectId);
    for (const hostId of hostIds) this.sink.sendState(hostId, hostStateFrom(rows, hostId, version));
  }

  private connectedHosts(projectId: string): string[] {
    return this.store
      .all<HostFields>("host", { projectId })
      .filter((h) => h.state !== "removed")
      .map((h) => formatId("host", h.id))
      .filter((id) => this.sink.isConnected(id));
  }
}
