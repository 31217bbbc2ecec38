import { formatId, type HostStateFrameInput, maxFrameBytes } from "@corral/api";
import { createLogger } from "@corral/lib";
import type { Row } from "../store/rows.ts";
import type { RowChange, Store } from "../store/store.ts";
import { ensureHostSlice } from "./allocation.ts";
import { environmentView, type HostParts, hostParts, loadProjectRows } from "./host-state.ts";
import { type Dirty, type Published, patchView } from "./patch-view.ts";
import {
  buildTable,
  containerGroups,
  containerUpserts,
  diffSome,
  diffTables,
  formFor,
} from "./view-table.ts";

const log = createLogger("host-state");

/** What the publisher needs of the hub. */
export interface StateSink {
  /** The host's current session (compared by identity), undefined when its agent is not connected. */
  sessionOf(hostId: string): object | undefined;
  /** Sends a frame of the network view to a host's agent; false when it is not connected. */
  sendState(hostId: string, frame: HostStateFrameInput): boolean;
}

/** Row types whose changes alter the network view of their environment. */
const watched = new Set(["container", "service", "stack", "host", "certificate"]);

/** The most a snapshot frame or a delta carries; a larger snapshot is split, a larger delta becomes one. */
export const statePartBytes = maxFrameBytes / 4;

/** How soon after a snapshot an agent asking again gets the next one. */
const resyncGapMs = 1000;

/** What one host's agent holds in its current session. */
interface HostSync {
  projectId: string;
  session: object;
  seq: number;
  /** JSON of the host's own parts as last sent. */
  sent: Record<keyof HostParts, string>;
  snapshotAt: number;
  resyncTimer?: ReturnType<typeof setTimeout>;
}

const partKeys = ["network", "portRange", "certificates", "acmeChallenges", "upstreamDns", "ipsec"] as const;

/**
 * Keeps every connected agent's network view in line. An agent that says hello (or asks with
 * `hostState.resync`) gets a snapshot of its host's view; after that, changes are gathered per
 * environment for `debounceMs`, compared with the view last published, and each host gets a
 * `hostState.delta` with only what changed for it (nothing when nothing did). Versions start from
 * the clock, so they keep growing across server restarts; `seq` counts a session's frames.
 */
export class StatePublisher {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly versions = new Map<string, number>();
  private readonly published = new Map<string, Published>();
  private readonly syncs = new Map<string, HostSync>();
  private readonly dirty = new Map<string, Dirty>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly sink: StateSink,
    private readonly debounceMs = 100,
  ) {
    this.unsubscribe = store.onChange((change) => this.onChange(change));
  }

  /** Sends a host a snapshot of its view now (after its agent's hello). */
  hello(hostId: string): void {
    this.snapshot(hostId);
  }

  /** An agent asked for a snapshot: sent now, or `resyncGapMs` after the last one at the earliest. */
  resync(hostId: string): void {
    const sync = this.syncs.get(hostId);
    if (!sync || sync.session !== this.sink.sessionOf(hostId)) {
      this.snapshot(hostId);
      return;
    }
    if (sync.resyncTimer) return;
    const wait = sync.snapshotAt + resyncGapMs - Date.now();
    if (wait <= 0) {
      this.snapshot(hostId);
      return;
    }
    sync.resyncTimer = setTimeout(() => {
      sync.resyncTimer = undefined;
      if (!this.stopped) this.snapshot(hostId);
    }, wait);
  }

  /** Stops listening and cancels pending sends. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.syncs.values()) clearTimeout(s.resyncTimer);
  }

  /** The current version of an environment's view (0 before the first one). */
  version(projectId: string): number {
    return this.versions.get(projectId) ?? 0;
  }

  /** The seq of the last frame sent to a host's current session (null when none). */
  seqOf(hostId: string): number | null {
    const sync = this.syncs.get(hostId);
    return sync && sync.session === this.sink.sessionOf(hostId) ? sync.seq : null;
  }

  private onChange({ row, previous }: RowChange): void {
    if (this.stopped) return;
    if (previous && healthOnly(row, previous)) return;
    if (row.type === "host" && row.state === "removed") this.syncs.delete(formatId("host", row.id));
    const projectId = row.type === "project" ? formatId("project", row.id) : row.projectId;
    if (!projectId || (row.type !== "project" && !watched.has(row.type))) return;
    const dirty = this.dirty.get(projectId) ?? {
      whole: false,
      containers: new Set<number>(),
      services: new Set<number>(),
      hosts: new Set<number>(),
    };
    if (row.type === "container") dirty.containers.add(row.id);
    // A service's or host's own changes (scale, state, health, a host's facts) are patched in; a
    // removed one, like any other row, has the environment built again.
    else if (row.type === "service" && row.state !== "removed") dirty.services.add(row.id);
    else if (row.type === "host" && row.state !== "removed") dirty.hosts.add(row.id);
    else dirty.whole = true;
    this.dirty.set(projectId, dirty);
    this.schedule(projectId);
  }

  private schedule(projectId: string): void {
    if (this.timers.has(projectId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(projectId);
      if (this.stopped) return;
      try {
        this.publish(projectId);
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

  /**
   * Brings the environment's table up to date with the store (only the changed containers when
   * nothing else changed) and sends each synced host what changed for it.
   */
  private publish(projectId: string): void {
    const dirty = this.dirty.get(projectId);
    this.dirty.delete(projectId);
    if (!this.hasListeners(projectId)) {
      // Nobody to send to: no work, and no table kept; the next snapshot builds one.
      this.published.delete(projectId);
      return;
    }
    const previous = this.published.get(projectId);
    const version = this.bump(projectId);
    const patched =
      previous && dirty && !dirty.whole ? patchView(this.store, projectId, previous, dirty, version) : null;
    const next = patched ?? this.rebuilt(projectId, version);
    this.published.set(projectId, { table: next.table, rows: next.rows, env: next.env });
    const before = previous?.table;
    const { table, rows, env } = next;
    if (!before) return;
    // An incremental publish knows what it projected again: only that is compared.
    const changes = patched
      ? diffSome(before, table, patched.containerIds, patched.serviceIds, patched.hostIds)
      : diffTables(before, table);
    for (const [hostId, sync] of this.syncs) {
      if (sync.projectId !== projectId || sync.session !== this.sink.sessionOf(hostId)) continue;
      const delta: Extract<HostStateFrameInput, { type: "hostState.delta" }> = {
        type: "hostState.delta",
        seq: sync.seq + 1,
        version: table.version,
      };
      let size = 256;
      const upserts = containerUpserts(changes, before, table, hostId);
      if (upserts.length > 0 || changes.removedContainers.length > 0) {
        delta.containers = { upsert: upserts, remove: changes.removedContainers };
        for (const c of upserts) size += formFor(table.containers.get(c.id)!, hostId).json.length + 1;
        size += changes.removedContainers.length * 12;
      }
      if (changes.services.length > 0 || changes.removedServices.length > 0) {
        delta.services = { upsert: changes.services, remove: changes.removedServices };
        for (const s of changes.services) size += table.services.get(s.id)!.json.length + 1;
      }
      if (changes.hosts.length > 0 || changes.removedHosts.length > 0)
        delta.hosts = { upsert: changes.hosts, remove: changes.removedHosts };
      const parts = hostParts(rows, env, hostId);
      const sent = jsonOf(parts);
      for (const key of partKeys) {
        if (sent[key] === sync.sent[key]) continue;
        (delta as Record<string, unknown>)[key] = parts[key] ?? null;
        size += sent[key].length;
      }
      if (Object.keys(delta).length === 3) continue; // nothing changed for this host
      if (size > statePartBytes) {
        this.snapshot(hostId);
        continue;
      }
      if (!this.sink.sendState(hostId, delta)) continue;
      sync.seq++;
      sync.sent = sent;
    }
  }

  /** True when some agent of the environment holds a view from its current session. */
  private hasListeners(projectId: string): boolean {
    for (const [hostId, sync] of this.syncs)
      if (sync.projectId === projectId && sync.session === this.sink.sessionOf(hostId)) return true;
    return false;
  }

  /** The environment's table built again from all its rows. */
  private rebuilt(projectId: string, version: number): Published {
    const rows = loadProjectRows(this.store, projectId);
    const view = environmentView(rows);
    const { containers: _c, services: _s, hosts: _h, ...env } = view;
    return { table: buildTable(view, version), rows, env };
  }

  /** Sends a host its whole view, split into parts of at most `statePartBytes`. */
  private snapshot(hostId: string): void {
    if (this.stopped) return;
    const host = this.store.getByPublicId("host", hostId);
    const session = this.sink.sessionOf(hostId);
    if (!host?.projectId || !session) return;
    const projectId = host.projectId;
    // A host gets its slice before its first view, so its network controller can make the bridge.
    ensureHostSlice(this.store, hostId);
    // Changes not yet published go out first, so the snapshot and the table agree with the store.
    if (this.timers.has(projectId) || !this.published.has(projectId)) {
      clearTimeout(this.timers.get(projectId));
      this.timers.delete(projectId);
      if (this.hasListeners(projectId)) this.publish(projectId);
      else {
        this.dirty.delete(projectId);
        this.published.set(projectId, this.rebuilt(projectId, this.bump(projectId)));
      }
    }
    const { table, rows, env } = this.published.get(projectId)!;
    const previous = this.syncs.get(hostId);
    clearTimeout(previous?.resyncTimer);
    const seq = previous ? previous.seq + 1 : 1;
    const parts = hostParts(rows, env, hostId);
    const services = [...table.services.values()];
    const hosts = [...table.hosts.values()];
    let headBytes = 1024 + JSON.stringify(parts).length;
    for (const s of services) headBytes += s.json.length + 1;
    for (const h of hosts) headBytes += h.json.length + 1;
    const groups = containerGroups(table, hostId, headBytes, statePartBytes);
    const sent = this.sink.sendState(hostId, {
      type: "hostState",
      seq,
      version: table.version,
      hostId,
      environmentId: projectId,
      parts: groups.length,
      ...parts,
      containers: groups[0]!,
      services: services.map((s) => s.item),
      hosts: hosts.map((h) => h.item),
    });
    if (!sent) return;
    for (let index = 1; index < groups.length; index++)
      this.sink.sendState(hostId, { type: "hostState.part", seq, index, containers: groups[index]! });
    this.syncs.set(hostId, { projectId, session, seq, sent: jsonOf(parts), snapshotAt: Date.now() });
  }
}

/** Fields of an environment's row that a health roll-up writes and that no view holds. */
const projectHealthKeys = new Set(["healthState", "ipsecHealth"]);

/**
 * True for a change of a stack or an environment that leaves every host's view as it was: the
 * health roll-ups a scale-up writes again and again. A view holds only a stack's name and presence
 * and an environment's port range and keys (a change of the keys alone changes no data field,
 * so it is never taken for a roll-up); rebuilding a view of 10,000 containers for each roll-up
 * held the server for a second at a time.
 */
function healthOnly(row: Row, previous: Row): boolean {
  if (row.state !== previous.state || row.name !== previous.name) return false;
  if (row.type === "stack") return true;
  if (row.type !== "project") return false;
  const now = row.data as Record<string, unknown>;
  const before = previous.data as Record<string, unknown>;
  const keys = new Set([...Object.keys(now), ...Object.keys(before)]);
  let changed = false;
  for (const k of keys) {
    if (JSON.stringify(now[k]) === JSON.stringify(before[k])) continue;
    if (!projectHealthKeys.has(k)) return false;
    changed = true;
  }
  return changed;
}

function jsonOf(parts: HostParts): Record<keyof HostParts, string> {
  return {
    network: JSON.stringify(parts.network),
    portRange: JSON.stringify(parts.portRange),
    certificates: JSON.stringify(parts.certificates),
    acmeChallenges: JSON.stringify(parts.acmeChallenges ?? []),
    upstreamDns: JSON.stringify(parts.upstreamDns),
    ipsec: JSON.stringify(parts.ipsec ?? null),
  };
}
