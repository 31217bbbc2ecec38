import { formatId, maxFrameBytes } from "@corral/api";
import { createLogger, TimeSlice } from "@corral/lib";
import type { Row } from "../store/rows.ts";
import type { RowChange, Store } from "../store/store.ts";
import { ensureHostSlice } from "./allocation.ts";
import { deltaText, partText, type StateFrameText, snapshotText, upsertJson } from "./frame-text.ts";
import { environmentView, type HostParts, hostParts, loadProjectRows } from "./host-state.ts";
import { type Dirty, type Published, patchView } from "./patch-view.ts";
import {
  buildTable,
  containerGroups,
  containerUpserts,
  diffSome,
  diffTables,
  type TableChanges,
  type ViewTable,
} from "./view-table.ts";

const log = createLogger("host-state");

/** What the publisher needs of the hub. */
export interface StateSink {
  /** The host's current session (compared by identity), undefined when its agent is not connected. */
  sessionOf(hostId: string): object | undefined;
  /** Sends a frame of the network view to a host's agent; false when it is not connected. */
  sendState(hostId: string, frame: StateFrameText): boolean;
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
  /** Environments whose deltas are going out, and those with a publish due after that. */
  private readonly sending = new Set<string>();
  private readonly due = new Set<string>();
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
      this.publishNow(projectId);
    }, this.debounceMs);
    this.timers.set(projectId, timer);
  }

  /**
   * Publishes an environment's changes, unless its last deltas are still going out: then once
   * they are, so every host gets each delta in order and none is computed against a table some
   * hosts have not reached yet.
   */
  private publishNow(projectId: string): void {
    if (this.stopped) return;
    if (this.sending.has(projectId)) {
      this.due.add(projectId);
      return;
    }
    try {
      this.publish(projectId);
    } catch (e) {
      log.error("publishing host state failed", { projectId, error: e });
    }
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
    this.sending.add(projectId);
    this.sendDeltas(projectId, before, { table, rows, env }, changes)
      .catch((e) => log.error("sending host state failed", { projectId, error: e }))
      .finally(() => {
        this.sending.delete(projectId);
        if (this.due.delete(projectId)) this.publishNow(projectId);
      });
  }

  /**
   * Sends each synced host of the environment what changed for it, a few hosts at a time: the
   * event loop runs between slices, so forty hosts' deltas do not hold API requests. A host whose
   * session or snapshot changed meanwhile is skipped (its snapshot is already of the new table).
   */
  private async sendDeltas(
    projectId: string,
    before: ViewTable,
    { table, rows, env }: Published,
    changes: TableChanges,
  ): Promise<void> {
    // What every host gets alike is put in JSON once; each host's frame is assembled from JSON the
    // table holds, so 40 hosts do not serialise the same containers 40 times.
    const shared: string[] = [];
    if (changes.services.length > 0 || changes.removedServices.length > 0) {
      const upserts = changes.services.map((s) => table.services.get(s.id)!.json);
      shared.push(`"services":${upsertJson(upserts, changes.removedServices)}`);
    }
    if (changes.hosts.length > 0 || changes.removedHosts.length > 0)
      shared.push(`"hosts":${JSON.stringify({ upsert: changes.hosts, remove: changes.removedHosts })}`);
    const targets = [...this.syncs].filter(([, sync]) => sync.projectId === projectId);
    const slice = new TimeSlice();
    for (const [hostId, sync] of targets) {
      await slice.pause();
      if (this.stopped) return;
      if (this.syncs.get(hostId) !== sync || sync.session !== this.sink.sessionOf(hostId)) continue;
      const fields: string[] = [];
      const upserts = containerUpserts(changes, before, table, hostId);
      if (upserts.length > 0 || changes.removedContainers.length > 0)
        fields.push(`"containers":${upsertJson(upserts, changes.removedContainers)}`);
      fields.push(...shared);
      const parts = hostParts(rows, env, hostId);
      const sent = jsonOf(parts);
      for (const key of partKeys)
        if (sent[key] !== sync.sent[key]) fields.push(`"${key}":${JSON.stringify(parts[key] ?? null)}`);
      if (fields.length === 0) continue; // nothing changed for this host
      const frame = deltaText(sync.seq + 1, table.version, fields);
      if (frame.text.length > statePartBytes) {
        this.snapshot(hostId);
        continue;
      }
      if (!this.sink.sendState(hostId, frame)) continue;
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
    // While the last deltas are going out, the table is already the new one: the snapshot is of
    // it, and changes since go out after them, to this host too.
    if (!this.sending.has(projectId) && (this.timers.has(projectId) || !this.published.has(projectId))) {
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
    const services = [...table.services.values()].map((s) => s.json);
    const hosts = [...table.hosts.values()].map((h) => h.json);
    let headBytes = 1024 + JSON.stringify(parts).length;
    for (const s of services) headBytes += s.length + 1;
    for (const h of hosts) headBytes += h.length + 1;
    const groups = containerGroups(table, hostId, headBytes, statePartBytes);
    const head = {
      type: "hostState" as const,
      seq,
      version: table.version,
      hostId,
      environmentId: projectId,
      parts: groups.length,
      ...parts,
    };
    const sent = this.sink.sendState(hostId, snapshotText(head, { containers: groups[0]!, services, hosts }));
    if (!sent) return;
    for (let index = 1; index < groups.length; index++)
      this.sink.sendState(hostId, partText(seq, index, groups[index]!));
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
