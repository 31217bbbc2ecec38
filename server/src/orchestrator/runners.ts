import { formatId } from "@corral/api";
import { createLogger, sleep } from "@corral/lib";
import type { ServiceFields } from "../model/service.ts";
import { summarizeReasons } from "../scheduler/index.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { createUnit, removeUnits, transition } from "./deploy.ts";
import { portIpOf, unitRequest } from "./placement.ts";
import { ProjectView } from "./project-view.ts";
import { groupUnits, type Unit, unitHealthy } from "./units.ts";

const log = createLogger("upgrade");
/** The upgrade or restart runner of each service still in progress (see {@link inTurn}). */
const running = new Map<number, Promise<void>>();
/** How long a new unit may take to become healthy before the upgrade gives up on it. */
const unitReadyTimeoutMs = 300_000;

function load(store: Store, id: number): Row<ServiceFields> | null {
  const row = store.get<ServiceFields>(id);
  return row && row.type === "service" ? row : null;
}

function unitsOf(store: Store, svc: Row<ServiceFields>): Unit[] {
  return groupUnits(
    store.all("container", { dataField: ["serviceId", formatId("service", svc.id)] }) as never,
  );
}

/** Waits until the units with these createIndexes are running and healthy, or the service left `state`. */
async function waitReady(store: Store, id: number, indexes: number[], state: string): Promise<boolean> {
  const deadline = Date.now() + unitReadyTimeoutMs;
  while (Date.now() < deadline) {
    const svc = load(store, id);
    if (!svc || svc.state !== state) return false;
    const units = unitsOf(store, svc).filter((u) => indexes.includes(u.createIndex));
    if (units.length === indexes.length && units.every(unitHealthy)) return true;
    if (units.some((u) => u.containers.some((c) => c.state === "error"))) return false;
    await sleep(200);
  }
  return false;
}

/** Container states a unit passes through on its way to running, stopped or gone. */
const transitional = new Set(["creating", "starting", "stopping", "restarting"]);

/**
 * The units `indexes` of the service once none of their containers is in a transitional state
 * (at most {@link unitReadyTimeoutMs}), or null when the service left `state` meanwhile.
 */
async function waitSettled(
  store: Store,
  id: number,
  indexes: number[],
  state: string,
): Promise<Unit[] | null> {
  const deadline = Date.now() + unitReadyTimeoutMs;
  for (;;) {
    const svc = load(store, id);
    if (svc?.state !== state) return null;
    const units = unitsOf(store, svc).filter((u) => indexes.includes(u.createIndex));
    const busy = units.some((u) => u.containers.some((c) => transitional.has(c.state)));
    if (!busy || Date.now() > deadline) return units;
    await sleep(200);
  }
}

/**
 * Creates `count` units of the service's current version, the i-th on `hosts[i]` when given;
 * returns their createIndexes.
 */
function addUnits(
  store: Store,
  dispatcher: Dispatcher,
  svc: Row<ServiceFields>,
  count: number,
  hosts: (string | null)[] = [],
): number[] {
  const view = new ProjectView(store, dispatcher, svc.projectId!);
  // Old units the upgrade stopped stay for a rollback, but a stopped container holds no host port
  // (Docker binds it only while it runs): their replacements may take the ports they published.
  for (const c of view.byService.get(formatId("service", svc.id)) ?? []) {
    if (c.state === "stopped" && c.data.serviceVersion !== svc.data.version)
      view.sched().release(formatId("container", c.id));
  }
  const stackName = view.stack(svc.data.stackId)?.name ?? "stack";
  const indexes: number[] = [];
  let next = svc.data.nextCreateIndex;
  for (let i = 0; i < count; i++) {
    const request = unitRequest(svc, stackName, next, hosts[i] ?? undefined, store);
    const placed = view.sched().place(request);
    if (placed.hostId === null) {
      store.update(svc.id, { data: { schedulingMessage: summarizeReasons(placed.reasons) } });
      break;
    }
    indexes.push(next);
    const createIndex = next++;
    const portIp = portIpOf(request, placed.bindings);
    createUnit(store, dispatcher, {
      service: svc,
      stackName,
      hostId: placed.hostId,
      createIndex,
      portIp,
    }).catch((e) => log.error("creating a unit failed", { error: e }));
  }
  store.update(svc.id, { data: { nextCreateIndex: next } });
  return indexes;
}

/**
 * Pauses an upgrade whose new units no host can take (the reason is in schedulingMessage): going
 * on would stop every old unit with nothing to replace them.
 */
function unplaced(store: Store, id: number): void {
  log.warn("new units could not be placed; upgrade paused", { service: formatId("service", id) });
  store.update(id, {
    data: {
      transitioningMessage: "new containers could not be placed; waiting for a host (or roll back or finish)",
    },
  });
  waitingFor(store).add(id);
}

/**
 * Upgrades paused because no host could take their new units, per store (tests run several
 * servers in one process, with the same row ids): a host change may let them go on.
 */
const waitingForHost = new WeakMap<Store, Set<number>>();

function waitingFor(store: Store): Set<number> {
  const ids = waitingForHost.get(store) ?? new Set<number>();
  waitingForHost.set(store, ids);
  return ids;
}

/**
 * Goes on with the upgrades of a project that paused because no host could take their new units,
 * after a host change that may let them be placed (a host joined or came back, its labels changed),
 * as Cattle's upgrade waited for an allocation rather than failing: an upgrade asked by a webhook
 * while the only host was away completes once it is back. One that still cannot place pauses again.
 */
export function resumeUnplaced(store: Store, dispatcher: Dispatcher, projectId: string): void {
  const ids = waitingFor(store);
  for (const id of ids) {
    const svc = load(store, id);
    if (svc?.state !== "upgrading") {
      ids.delete(id);
      continue;
    }
    if (svc.projectId !== projectId) continue;
    ids.delete(id);
    store.update(id, { data: { transitioningMessage: "" } }, ["upgrading"]);
    void runUpgrade(store, dispatcher, id);
  }
}

/**
 * Notes on a service whose new units did not become healthy that the upgrade paused, unless it
 * left `upgrading` meanwhile (a rollback or finish took over: the note would be wrong there).
 */
function stillUpgrading(store: Store, id: number): void {
  if (load(store, id)?.state !== "upgrading") return;
  log.warn("new units did not become healthy; upgrade paused", { service: formatId("service", id) });
  store.update(
    id,
    { data: { transitioningMessage: "new containers did not become healthy; roll back or finish" } },
    ["upgrading"],
  );
}

/**
 * In-service upgrade, batch by batch as Cattle did: with `startFirst`, start the new units, wait
 * until they are healthy, then stop the old ones; otherwise stop first. Old containers are stopped,
 * not deleted, so `rollback` can start them again; `finishupgrade` removes them. Cancelling moves
 * the service to `canceled-upgrade`, which ends the loop between batches.
 */
async function runUpgradeLoop(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  let svc = load(store, id);
  if (!svc?.data.upgrade) return;
  const { batchSize, intervalMillis, startFirst, previousVersion } = svc.data.upgrade;
  while (true) {
    svc = load(store, id);
    if (svc?.state !== "upgrading") return;
    const all = unitsOf(store, svc);
    const old = all.filter(
      (u) => u.version === previousVersion && u.containers.some((c) => c.state === "running"),
    );
    const fresh = all.filter((u) => u.version === svc!.data.version);
    const want = svc.data.global ? old.length + fresh.length : svc.data.scale;
    if (old.length === 0 && fresh.length >= Math.min(want, svc.data.scale)) break;
    const batch = old.slice(0, batchSize);
    const toAdd = Math.max(0, Math.min(batchSize, want - fresh.length));
    // A global service's new unit goes to the host of the old unit it replaces: left to the
    // scheduler, it could land on another host and leave this one without its unit meanwhile.
    const hosts = svc.data.global ? batch.map((u) => u.hostId) : [];
    if (startFirst) {
      const indexes = addUnits(store, dispatcher, svc, toAdd, hosts);
      if (indexes.length < toAdd) return unplaced(store, id);
      if (indexes.length > 0 && !(await waitReady(store, id, indexes, "upgrading"))) {
        stillUpgrading(store, id);
        return;
      }
      await transition(
        store,
        dispatcher,
        batch.flatMap((u) => u.containers),
        ["running"],
        "stopping",
      );
    } else {
      await transition(
        store,
        dispatcher,
        batch.flatMap((u) => u.containers),
        ["running"],
        "stopping",
      );
      // A rollback, finish or cancel during the drain took over: adding units of the new version
      // now would leave some behind (a rollback already chose the units it removes).
      if (load(store, id)?.state !== "upgrading") return;
      const indexes = addUnits(store, dispatcher, svc, toAdd, hosts);
      if (indexes.length < toAdd) return unplaced(store, id);
      if (indexes.length > 0 && !(await waitReady(store, id, indexes, "upgrading"))) {
        stillUpgrading(store, id);
        return;
      }
    }
    if (batch.length === 0 && toAdd === 0) break;
    await sleep(intervalMillis);
  }
  store.update(id, { state: "upgraded", data: { transitioningMessage: "" } }, ["upgrading"]);
}

/** Rollback: removes the new units, restores the previous launch configs and starts the old units again. */
async function runRollbackLoop(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  const svc = load(store, id);
  if (svc?.state !== "rolling-back" || !svc.data.upgrade) return;
  const up = svc.data.upgrade;
  const old = unitsOf(store, svc).filter((u) => u.version === up.previousVersion);
  store.update(id, {
    data: {
      launchConfig: up.previousLaunchConfig,
      secondaryLaunchConfigs: up.previousSecondaryLaunchConfigs,
      version: up.previousVersion,
      upgrade: undefined,
    },
  });
  const indexes = old.map((u) => u.createIndex);
  // An old unit the upgrade was still stopping (draining) is started once its stop ended: moved
  // from `stopped` only, it would stay stopped and the rollback wait for it until its timeout.
  const settled = await waitSettled(store, id, indexes, "rolling-back");
  if (!settled) return;
  // The old units serve again before the new ones go, so the service is never left without one.
  await transition(
    store,
    dispatcher,
    settled.flatMap((u) => u.containers),
    ["stopped"],
    "starting",
  );
  await waitReady(store, id, indexes, "rolling-back");
  const now = load(store, id);
  if (now?.state !== "rolling-back") return;
  await removeUnits(
    store,
    dispatcher,
    unitsOf(store, now).filter((u) => u.version !== up.previousVersion),
  );
  store.update(id, { state: "active", data: { transitioningMessage: "" } }, ["rolling-back"]);
}

/** Finish: removes the old (stopped) units and forgets the previous launch configs. */
async function runFinishLoop(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  const svc = load(store, id);
  if (svc?.state !== "finishing-upgrade") return;
  const old = unitsOf(store, svc).filter((u) => u.version !== svc.data.version);
  await removeUnits(store, dispatcher, old);
  store.update(id, { state: "active", data: { upgrade: undefined, transitioningMessage: "" } }, [
    "finishing-upgrade",
  ]);
}

/** Rolling restart: restarts units batch by batch, waiting for each batch to be healthy. */
async function runRestartLoop(
  store: Store,
  dispatcher: Dispatcher,
  id: number,
  batchSize: number,
  intervalMillis: number,
): Promise<void> {
  const svc = load(store, id);
  if (svc?.state !== "restarting") return;
  const units = unitsOf(store, svc).filter((u) => u.version === svc.data.version);
  for (let i = 0; i < units.length; i += batchSize) {
    const indexes = units.slice(i, i + batchSize).map((u) => u.createIndex);
    // A unit still stopping (draining after a deactivate) or starting is restarted once it got
    // there: skipped, it would never turn healthy and the service would stay `restarting`.
    const batch = await waitSettled(store, id, indexes, "restarting");
    if (!batch) return;
    await transition(
      store,
      dispatcher,
      batch.flatMap((u) => u.containers),
      ["running", "stopped"],
      "restarting",
    );
    await waitReady(
      store,
      id,
      batch.map((u) => u.createIndex),
      "restarting",
    );
    if (i + batchSize < units.length) await sleep(intervalMillis);
  }
  store.update(id, { state: "active" }, ["restarting"]);
}

/**
 * Runs a service's upgrade or restart runner after the one still in progress for that service, if
 * any. Each runner starts by checking the service's state, so one whose request was overtaken
 * returns at once. Dropping the later runner instead (as before) left a service `restarting` for
 * good when a restart came while an ended upgrade's runner still slept its batch interval.
 * Rollback and finish do not wait: they take over by changing the state, which the upgrade runner
 * checks between steps.
 */
function inTurn(id: number, loop: () => Promise<void>): Promise<void> {
  const before = running.get(id);
  const run = before ? before.then(loop, loop) : loop();
  running.set(id, run);
  const forget = () => {
    if (running.get(id) === run) running.delete(id);
  };
  run.then(forget, forget);
  return run;
}

/**
 * Runners outlive the request that started them: an error in one (including the store closing
 * under it when the server stops) ends that runner with a log line, never as an unhandled rejection.
 */
function guarded(name: string, id: number, run: Promise<void>): Promise<void> {
  return run.catch((e) => log.warn(`${name} stopped`, { service: formatId("service", id), error: e }));
}

/** In-service upgrade (see upgradeLoop): batch by batch, start-first or stop-first. */
export function runUpgrade(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  return guarded(
    "upgrade",
    id,
    inTurn(id, () => runUpgradeLoop(store, dispatcher, id)),
  );
}

/** Rollback: the old units serve again, then the new ones go. */
export function runRollback(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  return guarded("rollback", id, runRollbackLoop(store, dispatcher, id));
}

/** Finish: the old (stopped) units go. */
export function runFinish(store: Store, dispatcher: Dispatcher, id: number): Promise<void> {
  return guarded("finishupgrade", id, runFinishLoop(store, dispatcher, id));
}

/** Rolling restart, batch by batch. */
export function runRestart(
  store: Store,
  dispatcher: Dispatcher,
  id: number,
  batchSize: number,
  intervalMillis: number,
): Promise<void> {
  return guarded(
    "restart",
    id,
    inTurn(id, () => runRestartLoop(store, dispatcher, id, batchSize, intervalMillis)),
  );
}

/** After a server restart, picks up the runners of services left mid-way. */
export function resumeRunners(store: Store, dispatcher: Dispatcher): void {
  for (const svc of store.all<ServiceFields>("service", {
    state: ["upgrading", "rolling-back", "finishing-upgrade", "restarting"],
  })) {
    if (svc.state === "upgrading") void runUpgrade(store, dispatcher, svc.id);
    if (svc.state === "rolling-back") void runRollback(store, dispatcher, svc.id);
    if (svc.state === "finishing-upgrade") void runFinish(store, dispatcher, svc.id);
    if (svc.state === "restarting") void runRestart(store, dispatcher, svc.id, 1, 2000);
  }
}
