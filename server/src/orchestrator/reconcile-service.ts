import { formatId } from "@corral/api";
import { createLogger } from "@corral/lib";
import type { ServiceFields } from "../model/service.ts";
import { summarizeReasons } from "../scheduler/index.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { createUnit, removeUnits, transition } from "./deploy.ts";
import { serviceHealth } from "./health.ts";
import { portIpOf, unitRequest } from "./placement.ts";
import type { ProjectView } from "./project-view.ts";
import { groupUnitsPaced, judgeUnit, type Unit, type UnitContainer, unitHealthy } from "./units.ts";

const log = createLogger("orchestrator");

/** States in which the reconciler keeps a service's units at scale. */
const runningStates = ["activating", "active", "upgraded"];
/** States owned by a runner (upgrade, rollback, restart): the reconciler only updates status. */
const runnerStates = ["upgrading", "rolling-back", "finishing-upgrade", "restarting", "canceled-upgrade"];

/** What a pass did to one service. */
export interface ServiceOutcome {
  changed: boolean;
  /** When set, the service wants another pass at this time (crash-loop backoff). */
  retryAt?: number;
  /** True when the pass stopped at its budget with work left: the service wants another pass soon. */
  more?: boolean;
}

/**
 * Units one pass creates, or removes as extras, for one service at most. The rest waits for the
 * next pass, so a scale of thousands is placed over many short passes and other services get their
 * turn in between.
 */
export const unitsPerPass = 250;

/** How a pass lets the event loop run during long work (see TimeSlice). */
export interface PassPacing {
  pause(): Promise<void>;
}

const noPacing: PassPacing = { pause: () => Promise.resolve() };

/**
 * Units a retry creates while the service is failing: half as many after each failure in a row (of
 * the units missing), at least one. A service whose image does not exist does not make and remove
 * its whole scale at every retry; once a retry's units come up, the next passes make the rest.
 */
export function retryBatch(missing: number, failures: number): number {
  if (failures <= 0 || missing <= 0) return missing;
  return Math.max(1, Math.ceil(missing / 2 ** failures));
}

/** The delay before replacing units again after `failures` failed units in a row (1 s doubling, at most 60 s). */
export function crashLoopDelay(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

/**
 * One reconcile step for one service, as Cattle's deployment planner did it: replace bad units,
 * start stopped ones, add units until `scale` (or one per eligible host for global services) and
 * remove extras, highest createIndex first. Creations run in the background; their rows exist
 * before this returns, so the next pass counts them.
 */
export async function reconcileService(
  store: Store,
  dispatcher: Dispatcher,
  view: ProjectView,
  svc: Row<ServiceFields>,
  pacing: PassPacing = noPacing,
): Promise<ServiceOutcome> {
  const serviceId = formatId("service", svc.id);
  const units = await groupUnitsPaced(view.byService.get(serviceId) ?? [], () => pacing.pause());
  const stackName = view.stack(svc.data.stackId)?.name ?? "stack";
  let changed = false;
  const run = (p: Promise<void>) => {
    changed = true;
    p.catch((e) => log.error("reconcile action failed", { serviceId, error: e }));
  };

  if (svc.state === "removing") {
    if (units.length > 0) run(removeUnits(store, dispatcher, units));
    // The service is gone only when its last container is: draining ones still count.
    else if (
      store.all("container", { state: ["removing"], dataField: ["serviceId", serviceId] }).length === 0
    ) {
      return {
        changed: Boolean(store.update(svc.id, { state: "removed", removed: Date.now() }, ["removing"])),
      };
    }
    return { changed };
  }
  if (svc.state === "deactivating" || svc.state === "inactive") {
    const running = units.flatMap((u) => u.containers).filter((c) => c.state === "running");
    if (running.length > 0) run(transition(store, dispatcher, running, ["running"], "stopping"));
    else if (svc.state === "deactivating")
      changed = Boolean(store.update(svc.id, { state: "inactive" }, ["deactivating"]));
    return {
      changed:
        writeStatus(
          store,
          svc,
          units.filter((u) => u.version === svc.data.version),
          0,
        ) || changed,
    };
  }
  const current = units.filter((u) => u.version === svc.data.version);
  // External services and aliases are records only (DNS answers them): they never run containers.
  const runsContainers =
    Boolean(svc.data.launchConfig) && svc.data.kind !== "externalService" && svc.data.kind !== "dnsService";
  if (runnerStates.includes(svc.state) || !runningStates.includes(svc.state) || !runsContainers) {
    const desired = runsContainers ? svc.data.scale : 0;
    const activated =
      !runsContainers &&
      svc.state === "activating" &&
      store.update(svc.id, { state: "active" }, ["activating"]);
    return { changed: writeStatus(store, svc, current, desired) || Boolean(activated) };
  }

  const hosts = view.hostFacts();
  const healthCheck = svc.data.launchConfig?.healthCheck;
  const quorum = healthCheck?.recreateOnQuorumStrategyConfig?.quorum ?? 1;
  const quorumMet = current.filter(unitHealthy).length >= quorum;
  const kept: Unit[] = [];
  const doomed: Unit[] = [];
  const stopped: UnitContainer[] = [];
  for (const [i, unit] of current.entries()) {
    if (i % 500 === 499) await pacing.pause();
    const verdict = judgeUnit(unit, healthCheck, hosts, quorumMet);
    if (verdict.kind === "replace") {
      log.info("replacing unit", { serviceId, unit: unit.createIndex, reason: verdict.reason });
      doomed.push(unit);
      continue;
    }
    if (verdict.kind === "start") stopped.push(...verdict.containers);
    kept.push(unit);
  }
  for (const c of doomed.flatMap((u) => u.containers)) view.sched().release(formatId("container", c.id));
  if (doomed.length > 0) run(removeUnits(store, dispatcher, doomed).then(() => purgeFailed(store, doomed)));

  // Crash-loop guard: units that fail again and again are replaced with a growing delay, and the
  // service says why, instead of churning containers as fast as the host can make them.
  const now = Date.now();
  const failed = doomed.flatMap((u) => u.containers).find((c) => c.state === "error");
  let failureCount = svc.data.failures ?? 0;
  let retryAt = svc.data.retryAt ?? 0;
  const status: Record<string, unknown> = {};
  if (failed) {
    failureCount += 1;
    retryAt = now + crashLoopDelay(failureCount);
    status.failures = failureCount;
    status.retryAt = retryAt;
    status.transitioningMessage = `${failed.name}: ${failed.data.transitioningMessage || "failed"}`;
  }
  const waiting = retryAt > now;
  // Containers that stopped on their own are started again under the same guard: at once the
  // first time, then only once the delay has passed, so one that dies at every start is not
  // restarted as fast as its host can start it. Activation starts what deactivation stopped.
  if (stopped.length > 0 && !waiting) {
    run(transition(store, dispatcher, stopped, ["stopped"], "starting"));
    if (svc.state !== "activating") {
      failureCount += 1;
      retryAt = now + crashLoopDelay(failureCount);
      const first = stopped[0]!;
      Object.assign(status, {
        failures: failureCount,
        retryAt,
        transitioningMessage: `${first.name}: exited with code ${first.data.exitCode ?? "unknown"}`,
      });
    }
  }

  let nextIndex = svc.data.nextCreateIndex;
  const failures: string[] = [];
  const create = (hostId: string, portIp: string | undefined) => {
    const createIndex = nextIndex++;
    run(
      createUnit(store, dispatcher, {
        service: { ...svc, data: { ...svc.data } },
        stackName,
        hostId,
        createIndex,
        portIp,
      }),
    );
  };

  let desired: number;
  let more = false;
  if (svc.data.global) {
    const request = unitRequest(svc, stackName, nextIndex, undefined, store);
    const eligible = new Set(view.sched().eligibleHosts(request));
    const covered = new Set(kept.map((u) => u.hostId));
    for (const hostId of eligible) {
      if (covered.has(hostId) || waiting) continue;
      const pinned = unitRequest(svc, stackName, nextIndex, hostId, store);
      const placed = view.sched().place(pinned);
      if (placed.hostId !== null) create(placed.hostId, portIpOf(pinned, placed.bindings));
      else failures.push(summarizeReasons(placed.reasons));
    }
    const strays = kept.filter((u) => u.hostId && !eligible.has(u.hostId) && view.hostReady(u.hostId));
    if (strays.length > 0) run(removeUnits(store, dispatcher, strays));
    desired = eligible.size;
  } else {
    desired = svc.data.scale;
    const missing = Math.max(0, desired - kept.length);
    const budget = Math.min(unitsPerPass, retryBatch(missing, failureCount));
    let made = 0;
    for (let i = kept.length; i < desired && !waiting; i++) {
      if (made >= budget) {
        more = true;
        break;
      }
      const request = unitRequest(svc, stackName, nextIndex, undefined, store);
      const placed = view.sched().place(request);
      if (placed.hostId === null) {
        failures.push(summarizeReasons(placed.reasons));
        break;
      }
      create(placed.hostId, portIpOf(request, placed.bindings));
      made++;
      await pacing.pause();
      // The service may have been edited while the loop let others run: the next pass takes over.
      const latest = store.get<ServiceFields>(svc.id);
      if (
        latest?.state !== svc.state ||
        latest.data.scale !== svc.data.scale ||
        latest.data.version !== svc.data.version
      ) {
        more = true;
        break;
      }
    }
    if (kept.length > desired) {
      const extras = [...kept]
        .sort((a, b) => b.createIndex - a.createIndex)
        .slice(0, Math.min(unitsPerPass, kept.length - desired));
      if (extras.length < kept.length - desired) more = true;
      run(removeUnits(store, dispatcher, extras));
    }
  }
  const patch: Record<string, unknown> = { ...status };
  // The count starts over once every unit has stayed up past the last delay.
  if (!failed && failureCount > 0 && now >= retryAt && kept.length >= desired && kept.every(unitHealthy)) {
    Object.assign(patch, { failures: 0, retryAt: 0, transitioningMessage: "" });
  }
  if (nextIndex !== svc.data.nextCreateIndex) patch.nextCreateIndex = nextIndex;
  const message = failures[0] ?? "";
  if (message !== (svc.data.schedulingMessage ?? "")) patch.schedulingMessage = message;
  if (Object.keys(patch).length > 0 || svc.state === "activating") {
    store.update(svc.id, { ...(svc.state === "activating" ? { state: "active" } : {}), data: patch });
    changed = true;
  }
  const fresh = store.get<ServiceFields>(svc.id) ?? svc;
  const statusChanged = writeStatus(store, fresh, current, desired);
  return {
    changed: statusChanged || changed,
    ...(retryAt > now ? { retryAt } : {}),
    ...(more ? { more } : {}),
  };
}

/**
 * Deletes the rows of a failed unit's containers once they are removed, when none of them ever
 * existed on its host (the create failed: an image that does not exist, no address), as Rancher
 * 1.6 purged failed containers: a service that fails at every try does not pile up removed rows.
 * The service keeps the last failure's message; containers that ran keep their rows as history.
 */
function purgeFailed(store: Store, units: Unit[]): void {
  for (const unit of units) {
    if (!unit.containers.some((c) => c.state === "error")) continue;
    if (unit.containers.some((c) => c.data.externalId)) continue;
    for (const c of unit.containers) {
      store.transaction(() => {
        const row = store.get<{ externalId?: string | null }>(c.id);
        if (row?.state === "removed" && !row.data.externalId) store.purge(c.id);
      });
    }
  }
}

/** Writes currentScale and healthState when they changed. */
function writeStatus(store: Store, svc: Row<ServiceFields>, current: Unit[], desired: number): boolean {
  const running = current.filter((u) => u.containers.every((c) => c.state === "running")).length;
  const health = serviceHealth(current, desired);
  if (running === svc.data.currentScale && health === svc.data.healthState) return false;
  store.update(svc.id, { data: { currentScale: running, healthState: health } });
  return true;
}
