import { formatId } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import type { StackFields } from "../model/service.ts";
import { type InstanceRecord, type SchedHost, Scheduler, toRecord } from "../scheduler/index.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { schedHosts, schedInstances } from "./placement.ts";
import { presentStates, type UnitContainer } from "./units.ts";

/** Containers read per page when a view loads in slices. */
const pageSize = 100;

/**
 * Scheduler records of shared (cached, unchanged) container rows: a row object stays the same until
 * the row is written, so each pass indexes only the containers that changed since the last one.
 */
const records = new WeakMap<Row, InstanceRecord>();

/**
 * Each project's scheduler, kept from one pass to the next per store: indexing every container of
 * a large project again for each pass was most of a pass's time (ten thousand units: seconds of
 * CPU per pass during a scale-up). A pass brings it up to date with what changed instead.
 */
const kept = new WeakMap<Store, Map<string, Scheduler>>();

/**
 * The project's kept scheduler brought up to date with the store: hosts upserted (gone ones
 * dropped), records of changed containers replaced, and records of containers no longer present
 * (and the previous pass's placements, whose rows are now present under their own ids) released.
 */
async function keptScheduler(
  store: Store,
  projectId: string,
  hosts: SchedHost[],
  present: Row[],
  pause: () => Promise<void>,
): Promise<Scheduler> {
  const byProject = kept.get(store) ?? new Map<string, Scheduler>();
  kept.set(store, byProject);
  const scheduler = byProject.get(projectId) ?? new Scheduler();
  byProject.set(projectId, scheduler);
  const hostIds = new Set(hosts.map((h) => h.id));
  for (const id of scheduler.hostIds()) if (!hostIds.has(id)) scheduler.removeHost(id);
  for (const h of hosts) scheduler.upsertHost(h);
  const seen = new Set<string>();
  for (let i = 0; i < present.length; i++) {
    const row = present[i]!;
    let rec = records.get(row);
    if (!rec) {
      const inst = schedInstances([row as never])[0];
      if (inst) {
        rec = toRecord(inst);
        records.set(row, rec);
      }
    }
    if (rec) {
      seen.add(rec.id);
      if (scheduler.record(rec.id) !== rec) scheduler.addRecord(rec);
    }
    if (i % pageSize === pageSize - 1) await pause();
  }
  let n = 0;
  for (const id of scheduler.instanceIds()) {
    if (!seen.has(id)) scheduler.release(id);
    if (++n % pageSize === 0) await pause();
  }
  return scheduler;
}

/**
 * Everything one reconcile pass needs about a project, read once: hosts, stacks, present containers
 * grouped by service, and a scheduler that sees every placement made during the pass.
 */
export class ProjectView {
  readonly hosts: Row<HostFields>[];
  readonly hostById = new Map<string, Row<HostFields>>();
  readonly byService = new Map<string, UnitContainer[]>();
  private readonly stacks = new Map<string, Row<StackFields> | null>();
  private scheduler: Scheduler | null = null;
  private readonly present: Row[] = [];
  /** Hosts that containers are on but that are gone or unknown (see {@link hostFacts}). */
  private readonly missingHosts = new Set<string>();

  /** Reads the project at once (inside a transaction: what a create checks against). */
  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    readonly projectId: string,
    present?: Row[],
  ) {
    this.hosts = store.all<HostFields>("host", { projectId, state: ["active", "inactive"] });
    for (const h of this.hosts) this.hostById.set(formatId("host", h.id), h);
    this.addPresent(present ?? store.all("container", { projectId, state: presentStates }));
  }

  /** Indexes present containers by service, noting the hosts they are on that are gone. */
  private addPresent(rows: Row[]): void {
    for (const c of rows as UnitContainer[]) {
      this.present.push(c);
      const hostId = c.data.hostId;
      if (hostId && !this.hostById.has(hostId)) this.missingHosts.add(hostId);
      const sid = c.data.serviceId;
      if (!sid) continue;
      const list = this.byService.get(sid);
      if (list) list.push(c);
      else this.byService.set(sid, [c]);
    }
  }

  /**
   * Reads the project a page of containers at a time, calling `pause` between pages and while it
   * builds the scheduler, so a project of thousands of containers never holds the event loop long.
   * The pages are read at different instants: a pass works on a view that may be a little behind,
   * as it always did between its read and its writes, and the next pass reads again.
   */
  static async load(
    store: Store,
    dispatcher: Dispatcher,
    projectId: string,
    pause: () => Promise<void>,
  ): Promise<ProjectView> {
    const present: Row[] = [];
    for (let afterId = 0; ; ) {
      // Shared rows: a pass changes none, and the unchanged ones are not parsed again.
      const page = store.all("container", {
        projectId,
        state: presentStates,
        afterId,
        limit: pageSize,
        shared: true,
      });
      present.push(...page);
      if (page.length < pageSize) break;
      afterId = page.at(-1)!.id;
      await pause();
    }
    // Hosts are read after the containers, as a direct view does: a container is never seen on a
    // host that the view does not know yet.
    const view = new ProjectView(store, dispatcher, projectId, []);
    for (let i = 0; i < present.length; i += pageSize) {
      view.addPresent(present.slice(i, i + pageSize));
      await pause();
    }
    view.scheduler = await keptScheduler(
      store,
      projectId,
      schedHosts(view.hosts, dispatcher, store),
      present,
      pause,
    );
    return view;
  }

  /** Hosts whose agent is disconnected, and hosts that containers are on but no longer exist. */
  hostFacts(): { disconnected: Set<string>; missing: Set<string> } {
    const disconnected = new Set<string>();
    for (const [id, h] of this.hostById) if (h.data.agentState === "disconnected") disconnected.add(id);
    return { disconnected, missing: this.missingHosts };
  }

  /** True when a host is active with its agent connected (it can take and run work now). */
  hostReady(hostId: string): boolean {
    const h = this.hostById.get(hostId);
    return Boolean(
      h && h.state === "active" && h.data.agentState === "active" && this.dispatcher.isConnected(hostId),
    );
  }

  /** The stack row of a service, cached. */
  stack(stackId: string): Row<StackFields> | null {
    if (!this.stacks.has(stackId))
      this.stacks.set(stackId, this.store.getByPublicId<StackFields>("stack", stackId));
    return this.stacks.get(stackId) ?? null;
  }

  /** The pass's scheduler, built on first use. */
  sched(): Scheduler {
    if (!this.scheduler) {
      this.scheduler = new Scheduler(
        schedHosts(this.hosts, this.dispatcher, this.store),
        schedInstances(this.present as never),
      );
    }
    return this.scheduler;
  }
}
