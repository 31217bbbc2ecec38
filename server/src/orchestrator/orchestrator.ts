import { formatId, parseId } from "@corral/api";
import { createLogger, TimeSlice } from "@corral/lib";
import type { ProjectFields } from "../model/project.ts";
import type { ServiceFields, ServiceHealth, StackFields } from "../model/service.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { RowChange, Store } from "../store/store.ts";
import { groupHealth } from "./health.ts";
import { ProjectView } from "./project-view.ts";
import { reconcileService } from "./reconcile-service.ts";
import { resumeUnplaced } from "./runners.ts";

const log = createLogger("orchestrator");

/** Timings of the orchestrator. */
export interface OrchestratorOptions {
  /** A full pass over every service this often, whatever happened (default 15 s). */
  resyncMs?: number;
  /** Changes within this window are handled in one pass (default 50 ms). */
  debounceMs?: number;
}

/**
 * Keeps every service at its desired state. Passes are triggered by changes (a container stopped or
 * changed health, a host came or went, a service was edited) and by a periodic resync; after a
 * server restart the first pass converges whatever happened while it was away. Passes never
 * overlap; changes that arrive during a pass are handled by the next one.
 */
export class Orchestrator {
  private readonly dirty = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private resync: ReturnType<typeof setInterval> | null = null;
  private passing: Promise<number> | null = null;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    private readonly options: OrchestratorOptions = {},
  ) {}

  /** Starts listening for changes, runs a first full pass and the periodic resync. */
  start(): void {
    this.unsubscribe = this.store.onChange((change) => this.onChange(change));
    this.markAll();
    this.resync = setInterval(() => this.markAll(), this.options.resyncMs ?? 15_000);
    this.resync.unref?.();
  }

  /**
   * Stops triggers and timers. A pass in progress stops at its next pause, before it reads or writes
   * anything more (the store may be closed next); the promise resolves once it has.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
    await this.passing?.catch(() => {});
  }

  /** Marks one service for the next pass. */
  mark(serviceRowId: number): void {
    this.dirty.add(serviceRowId);
    if (!this.timer && !this.stopped) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.pass();
      }, this.options.debounceMs ?? 50);
    }
  }

  /** Marks a service again at `at` (for crash-loop backoff). */
  private later(id: number, at: number): void {
    const timer = setTimeout(() => this.mark(id), Math.max(0, at - Date.now()) + 10);
    timer.unref?.();
  }

  /** Marks every live service. */
  markAll(): void {
    for (const s of this.store.all("service")) if (s.state !== "removed") this.mark(s.id);
  }

  /**
   * Runs a pass now over the marked services; resolves with how many services changed. A pass
   * works in short slices and lets the event loop run between them (the API never waits on it);
   * marks made meanwhile wait for the next pass, merged into one set, so wakes never stack up.
   */
  async pass(): Promise<number> {
    while (this.passing) await this.passing;
    if (this.dirty.size === 0) return 0;
    const ids = [...this.dirty];
    this.dirty.clear();
    this.passing = this.runPass(ids);
    try {
      return await this.passing;
    } finally {
      this.passing = null;
      if (this.dirty.size > 0 && !this.stopped && !this.timer) this.mark([...this.dirty][0]!);
    }
  }

  private async runPass(ids: number[]): Promise<number> {
    let changed = 0;
    try {
      changed = await this.runSlices(ids);
    } catch (e) {
      if (!(e instanceof PassStopped)) throw e;
    }
    return changed;
  }

  private async runSlices(ids: number[]): Promise<number> {
    const time = new TimeSlice();
    const slice = {
      pause: async () => {
        await time.pause();
        if (this.stopped) throw new PassStopped();
      },
    };
    const byProject = new Map<string, number[]>();
    for (const id of ids) {
      const row = this.store.get(id);
      if (row?.type !== "service" || row.state === "removed" || !row.projectId) continue;
      byProject.set(row.projectId, [...(byProject.get(row.projectId) ?? []), id]);
    }
    let changed = 0;
    for (const [projectId, serviceIds] of byProject) {
      const view = await ProjectView.load(this.store, this.dispatcher, projectId, slice.pause);
      const stacks = new Set<string>();
      for (const id of serviceIds) {
        const svc = this.store.get<ServiceFields>(id);
        if (!svc || svc.state === "removed") continue;
        try {
          const outcome = await reconcileService(this.store, this.dispatcher, view, svc, slice);
          if (outcome.changed) changed++;
          if (outcome.retryAt) this.later(id, outcome.retryAt);
          // Work left at the budget: the service goes into the next pass (after the usual debounce).
          if (outcome.more) this.dirty.add(id);
        } catch (e) {
          if (e instanceof PassStopped) throw e;
          log.error("reconcile failed", { service: formatId("service", id), error: e });
        }
        stacks.add(svc.data.stackId);
        await slice.pause();
      }
      this.rollUp(projectId, stacks);
    }
    return changed;
  }

  /** Recomputes the health of the touched stacks and of the environment. */
  private rollUp(projectId: string, stackIds: Set<string>): void {
    const services = this.store
      .all<ServiceFields>("service", { projectId })
      .filter((s) => s.state !== "removed");
    for (const stackId of stackIds) {
      const stack = this.store.getByPublicId<StackFields>("stack", stackId);
      if (!stack || stack.state === "removed") continue;
      const health = groupHealth(
        services
          .filter((s) => s.data.stackId === stackId && s.state !== "inactive")
          .map((s) => s.data.healthState),
      );
      if (health !== stack.data.healthState) this.store.update(stack.id, { data: { healthState: health } });
    }
    const n = parseId("project", projectId);
    const project = n === null ? null : this.store.get<ProjectFields & { healthState?: ServiceHealth }>(n);
    if (!project) return;
    const stacks = this.store
      .all<StackFields>("stack", { projectId })
      .filter((s) => s.state !== "removed" && s.state !== "inactive");
    const health = groupHealth(stacks.map((s) => s.data.healthState));
    if (health !== project.data.healthState) this.store.update(project.id, { data: { healthState: health } });
  }

  private onChange({ row, previous }: RowChange): void {
    if (this.stopped) return;
    if (row.type === "service") this.mark(row.id);
    else if (row.type === "container") {
      const sid = (row.data as { serviceId?: string }).serviceId;
      const n = sid ? parseId("service", sid) : null;
      if (n !== null) this.mark(n);
    } else if (row.type === "host" && row.projectId && hostMatters(row, previous)) {
      // Host state, agent state and label changes affect placement (and global services) in the project.
      for (const s of this.store.all("service", { projectId: row.projectId }))
        if (s.state !== "removed") this.mark(s.id);
      // Upgrades paused for want of a host try again; not from inside the store's change callback.
      const projectId = row.projectId;
      queueMicrotask(() => {
        if (!this.stopped) resumeUnplaced(this.store, this.dispatcher, projectId);
      });
    }
  }
}

/** Thrown at a pause of a pass once the orchestrator is stopped: the pass ends there. */
class PassStopped extends Error {}

/** True when a host change can affect placement: its state, its agent's state or its labels. */
function hostMatters(row: Row, previous: Row | null): boolean {
  if (!previous || previous.state !== row.state) return true;
  const a = row.data as { agentState?: string; labels?: object };
  const b = previous.data as { agentState?: string; labels?: object };
  return a.agentState !== b.agentState || JSON.stringify(a.labels) !== JSON.stringify(b.labels);
}
