import { randomUUID } from "node:crypto";
import { formatId, type LaunchConfig } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import type { ServiceFields, StackFields, UnitMembership } from "../model/service.ts";
import {
  addressReleased,
  allocateUnitAddress,
  isManaged,
  requestedIpLabel,
  type UnitAllocation,
} from "../network/allocation.ts";
import { assignPublicPorts } from "../network/public-ports.ts";
import { completeTransition } from "../services/container-lifecycle.ts";
import { bindPorts, networkModeOf, newContainerFields } from "../services/container-spec.ts";
import type { Dispatcher } from "../services/context.ts";
import { withStackVolumes } from "../services/stack-volumes.ts";
import { resolveServiceVolumesFrom } from "../services/volumes-from.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { awaitDrain, drainTimings, startDrain } from "./drain.ts";
import type { Unit, UnitContainer } from "./units.ts";

/** Rancher's label that marks the primary launch config of a unit. */
const primaryLaunchConfig = "io.rancher.service.primary.launch.config";

/** The launch configs of a unit, primary first: `[name, config]` with "" naming the primary. */
export function unitLaunchConfigs(svc: ServiceFields): [string, LaunchConfig][] {
  const out: [string, LaunchConfig][] = [];
  if (svc.launchConfig) out.push(["", svc.launchConfig]);
  for (const lc of svc.secondaryLaunchConfigs) out.push([lc.name ?? "sidekick", lc]);
  return out;
}

/**
 * The member a reference inside a unit names: compose files name the primary by its service name
 * (`network_mode: container:web` in a sidekick of web), which is member "" here.
 */
export function memberOf(ref: string, serviceName: string): string {
  return ref === serviceName ? "" : ref;
}

/** Orders launch configs so that a member providing network or volumes is created before its users. */
export function creationOrder(configs: [string, LaunchConfig][], serviceName = ""): [string, LaunchConfig][] {
  const byName = new Map(configs);
  const done = new Set<string>();
  const out: [string, LaunchConfig][] = [];
  const visit = (name: string, depth: number) => {
    if (done.has(name) || depth > configs.length) return;
    const lc = byName.get(name);
    if (!lc) return;
    for (const dep of [lc.networkLaunchConfig, ...lc.dataVolumesFromLaunchConfigs]) {
      if (dep !== undefined) visit(memberOf(dep, serviceName), depth + 1);
    }
    if (!done.has(name)) {
      done.add(name);
      out.push([name, lc]);
    }
  };
  for (const [name] of configs) visit(name, 0);
  return out;
}

/** The container name of one member of a unit: `stack-service-N`, sidekicks `stack-service-side-N`. */
export function memberName(
  stack: string,
  service: string,
  launchConfigName: string,
  createIndex: number,
): string {
  return launchConfigName
    ? `${stack}-${service}-${launchConfigName}-${createIndex}`
    : `${stack}-${service}-${createIndex}`;
}

/** The labels Rancher put on every service container, merged over the launch config's own. */
export function unitLabels(
  lc: LaunchConfig,
  stack: string,
  service: string,
  uuid: string,
  launchConfigName: string,
  name: string,
) {
  return {
    ...lc.labels,
    "io.rancher.stack.name": stack,
    "io.rancher.stack_service.name": `${stack}/${service}`,
    "io.rancher.service.deployment.unit": uuid,
    "io.rancher.service.launch.config": launchConfigName || primaryLaunchConfig,
    "io.rancher.container.name": name,
  };
}

/** Everything needed to make a unit. */
export interface UnitPlan {
  service: Row<ServiceFields>;
  stackName: string;
  hostId: string;
  createIndex: number;
  /** The host IP the scheduler bound the unit's IP-less public ports to (see bindPorts). */
  portIp?: string;
}

/**
 * Inserts the rows of a new unit (all members, one transaction) and then asks the host to create
 * them one by one, providers of network or volumes first. Failures leave a container in `error`;
 * the next reconcile pass replaces the unit.
 */
export async function createUnit(store: Store, dispatcher: Dispatcher, plan: UnitPlan): Promise<void> {
  const svc = plan.service.data;
  const uuid = randomUUID();
  const serviceId = formatId("service", plan.service.id);
  const configs = creationOrder(unitLaunchConfigs(svc), plan.service.name!);
  const names = new Map(
    configs.map(([n]) => [n, memberName(plan.stackName, plan.service.name!, n, plan.createIndex)]),
  );
  const nameOf = (ref: string) => names.get(memberOf(ref, plan.service.name!)) ?? ref;
  // Mounts of the stack's own volumes name their Docker volumes (`<stack>_<volume>_<random>`).
  const volumeNames = store.getByPublicId<StackFields>("stack", svc.stackId)?.data.volumeNames ?? {};
  const rows = store.transaction(() =>
    configs.map(([lcName, declared]) => {
      const lc = withStackVolumes(declared, volumeNames);
      const name = names.get(lcName)!;
      const membership: UnitMembership = {
        serviceId,
        stackId: svc.stackId,
        deploymentUnitUuid: uuid,
        createIndex: plan.createIndex,
        launchConfigName: lcName,
        serviceVersion: svc.version,
        startOnce: lc.labels["io.rancher.container.start_once"] === "true",
      };
      const address = unitAddress(store, plan, lcName, lc, networkModeOf(lc, nameOf));
      const mounts = unitVolumesFrom(store, plan, lc);
      const ports = assignPublicPorts(
        store,
        plan.service.projectId!,
        plan.hostId,
        bindPorts(lc.ports, plan.portIp),
      );
      const data: ContainerFields & UnitMembership = {
        ...membership,
        ...newContainerFields(lc, {
          hostId: plan.hostId,
          ports,
          labels: unitLabels(lc, plan.stackName, plan.service.name!, uuid, lcName, name),
          nameOf,
          volumesFrom: mounts.refs,
          address: address.allocation ?? null,
          startOnCreate: true,
          transitioningMessage: address.failure ?? mounts.failure ?? "scheduled",
        }),
      };
      // An address that cannot be had (requested_ip taken or outside the slice, slice full), or
      // volumes_from with nothing of this environment to mount from on the host, fails the unit
      // like a failed placement: the reconciler replaces it with its crash-loop backoff.
      const state = address.failure || mounts.failure ? "error" : "creating";
      return store.insert("container", { projectId: plan.service.projectId, name, state, data });
    }),
  );
  for (const row of rows) {
    if (row.state !== "creating") continue;
    // A retain_ip replacement waits until the unit it replaces has let go of the address.
    await addressReleased(store, row.id);
    await completeTransition(store, dispatcher, row.id);
  }
}

/** The `volumes_from` of one unit member resolved on its host, or why they cannot be. */
function unitVolumesFrom(
  store: Store,
  plan: UnitPlan,
  lc: LaunchConfig,
): { refs: string[]; failure?: string } {
  try {
    const svc = plan.service;
    return { refs: resolveServiceVolumesFrom(store, svc.projectId!, svc.data.stackId, plan.hostId, lc) };
  } catch (e) {
    if (e instanceof AppError) return { refs: [], failure: e.message };
    throw e;
  }
}

/** The managed address of one unit member, or why it cannot have one. */
function unitAddress(
  store: Store,
  plan: UnitPlan,
  launchConfigName: string,
  lc: LaunchConfig,
  networkMode: string,
): { allocation?: UnitAllocation; failure?: string } {
  if (!isManaged(networkMode)) return {};
  try {
    const allocation = allocateUnitAddress(store, plan.service.id, plan.hostId, {
      launchConfigName,
      createIndex: plan.createIndex,
      requestedIp: lc.labels[requestedIpLabel],
    });
    return { allocation };
  } catch (e) {
    if (e instanceof AppError) return { failure: e.message };
    throw e;
  }
}

/** Moves containers to a transitional state (when still in one of `from`) and drives them there. */
export async function transition(
  store: Store,
  dispatcher: Dispatcher,
  containers: UnitContainer[],
  from: string[],
  to: "starting" | "stopping" | "removing" | "restarting",
): Promise<void> {
  const moved: number[] = [];
  // Running containers about to stop first leave DNS and load balancers (they follow the state at
  // once), and are stopped only once the balancers confirmed they dropped them and a grace period
  // passed, so no request is sent to a dying container.
  const drain =
    (to === "stopping" || to === "removing") &&
    drainTimings.drainMs > 0 &&
    containers.some((c) => c.state === "running");
  // A new run of a checked container is not healthy until its checks say so: the health it had
  // before would let a rollback or a rolling restart move on while the agent's first report of
  // the new run is still on its way.
  const rerun = to === "starting" || to === "restarting";
  store.transaction(() => {
    for (const c of containers) {
      const message = drain && c.state === "running" ? "draining" : "";
      const data = {
        transitioningMessage: message,
        ...(rerun && c.data.healthCheck ? { healthState: "initializing" } : {}),
      };
      if (store.update(c.id, { state: to, data }, from)) moved.push(c.id);
    }
  });
  if (drain && moved.length > 0) {
    const projectIds = [...new Set(containers.map((c) => c.projectId).filter((p) => p !== null))];
    await awaitDrain(store, dispatcher, startDrain(dispatcher, projectIds));
  }
  if (!rerun) {
    await Promise.all(moved.map((id) => completeTransition(store, dispatcher, id)));
    return;
  }
  // A sidekick may join its primary's network namespace or mount its volumes, and Docker refuses
  // to start it while the primary is not running: primaries (re)start first, then their sidekicks.
  const primary = new Set(containers.filter((c) => !c.data.launchConfigName).map((c) => c.id));
  await Promise.all(
    moved.filter((id) => primary.has(id)).map((id) => completeTransition(store, dispatcher, id)),
  );
  await Promise.all(
    moved.filter((id) => !primary.has(id)).map((id) => completeTransition(store, dispatcher, id)),
  );
}

/** Removes whole units (all members). */
export function removeUnits(store: Store, dispatcher: Dispatcher, units: Unit[]): Promise<void> {
  const all = units.flatMap((u) => u.containers);
  return transition(
    store,
    dispatcher,
    all,
    ["running", "stopped", "error", "creating", "starting", "stopping", "restarting"],
    "removing",
  );
}
