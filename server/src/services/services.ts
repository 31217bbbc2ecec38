import {
  type ContainerPolicy,
  formatId,
  type LaunchConfig,
  type ServiceSpec,
  sameDnsName,
  serviceCreateSchema,
  serviceRestartSchema,
  serviceUpdateSchema,
  serviceUpgradeSchema,
  setServiceLinksSchema,
} from "@corral/api";
import { AppError } from "@corral/lib";
import type { ProjectFields } from "../model/project.ts";
import type { ServiceFields, StackFields } from "../model/service.ts";
import { checkLbReferences, lbServiceSpec } from "../network/lb-service.ts";
import { runFinish, runRestart, runRollback, runUpgrade } from "../orchestrator/runners.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { assertAllowed, projectPolicy, serviceViolations } from "./container-policy.ts";
import { parsePort } from "./container-spec.ts";
import { assertOwnContainers } from "./containers.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { checkScale } from "./scale-limit.ts";
import { assertServiceVolumesFrom } from "./volumes-from.ts";

/** Service states from which the service still exists (for name clashes). */
export const liveServiceStates = [
  "inactive",
  "activating",
  "active",
  "upgrading",
  "upgraded",
  "finishing-upgrade",
  "rolling-back",
  "canceled-upgrade",
  "restarting",
  "deactivating",
  "removing",
];

/** Checks what zod cannot: port syntax in every launch config. */
export function checkLaunchConfigs(
  spec: Pick<ServiceSpec, "name" | "launchConfig" | "secondaryLaunchConfigs">,
): void {
  for (const lc of [spec.launchConfig, ...spec.secondaryLaunchConfigs]) {
    for (const p of lc?.ports ?? []) parsePort(p);
  }
}

/**
 * A service's launch configs join the network only of containers of their own environment, and
 * mount volumes only from services of their stack (live, or among `siblings`, made with it) or
 * containers of their environment (see volumes-from.ts).
 */
function assertOwnReferences(
  store: Store,
  projectId: string,
  stackId: string,
  spec: { launchConfig?: LaunchConfig; secondaryLaunchConfigs: LaunchConfig[] },
  siblings: readonly string[] = [],
): void {
  const configs: [string, LaunchConfig][] = spec.launchConfig ? [["launchConfig.", spec.launchConfig]] : [];
  for (const [i, lc] of spec.secondaryLaunchConfigs.entries())
    configs.push([`secondaryLaunchConfigs[${i}].`, lc]);
  for (const [at, lc] of configs) {
    assertOwnContainers(store, projectId, lc, at, false);
    assertServiceVolumesFrom(store, projectId, stackId, lc, at, siblings);
  }
}

/** The container policy of the project a service belongs to. */
function policyOf(store: Store, projectId: string): ContainerPolicy {
  const project = store.getByPublicId<ProjectFields>("project", projectId);
  return projectPolicy(project?.data ?? {});
}

/**
 * Inserts a service row of a stack (inside the caller's transaction), after checking its launch
 * configs against the environment's container policy (a refusal rolls the caller's writes back).
 * `siblings` names the services being made with it (a compose file's), which it may refer to.
 */
export function insertService(
  store: Store,
  projectId: string,
  stackId: string,
  spec: ServiceSpec,
  start: boolean,
  siblings: readonly string[] = [],
): Row<ServiceFields> {
  const prepared = lbServiceSpec(spec);
  checkLaunchConfigs(prepared);
  assertAllowed(serviceViolations(policyOf(store, projectId), prepared));
  assertOwnReferences(store, projectId, stackId, prepared, siblings);
  checkLbReferences(store, projectId, prepared.lbConfig);
  const { name, ...rest } = prepared;
  return store.insert<ServiceFields>("service", {
    projectId,
    name,
    state: start ? "activating" : "inactive",
    data: {
      ...rest,
      stackId,
      version: "0",
      nextCreateIndex: 1,
      currentScale: 0,
      healthState: start ? "initializing" : "healthy",
    },
  });
}

/** Creates a service in an existing stack. */
export function createService(ctx: VerbContext, projectId: string, body: unknown): Row<ServiceFields> {
  const input = parseInput(serviceCreateSchema, body);
  checkScale(ctx, input.scale);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    const pid = formatId("project", project.id);
    const stack = ctx.store.getByPublicId<StackFields>("stack", input.stackId);
    if (!stack || stack.projectId !== pid || stack.state === "removed") {
      throw new AppError("InvalidReference", `stackId: stack ${input.stackId} not found`, {
        detail: { field: "stackId" },
      });
    }
    const clash = ctx.store
      .all("service", { projectId: pid, state: liveServiceStates })
      .find((s) => sameDnsName(s.name, input.name) && (s.data as ServiceFields).stackId === input.stackId);
    // Names differing only in case would share one DNS name, as compose refuses too.
    if (clash)
      throw new AppError("NotUnique", `stack ${stack.name} has a service named ${clash.name} already`, {
        detail: { field: "name" },
      });
    if (input.kind === "service" && !input.launchConfig)
      throw new AppError("MissingRequired", "launchConfig: a service needs one");
    const { stackId, ...spec } = input;
    return insertService(ctx.store, pid, stackId, spec, input.startOnCreate);
  });
}

/** Edits a service: scale and other fields that need no new containers. */
export function updateService(ctx: VerbContext, id: string, body: unknown): Row<ServiceFields> {
  const input = parseInput(serviceUpdateSchema, body);
  checkScale(ctx, input.scale);
  return ctx.store.transaction(() => {
    const svc = loadVisible<ServiceFields>(ctx, "service", id);
    if (svc.state === "removed" || svc.state === "removing")
      throw new AppError("InvalidState", `service ${id} is ${svc.state}`);
    const data: Record<string, unknown> = Object.fromEntries(
      Object.entries(input).filter(([, v]) => v !== undefined),
    );
    if (input.lbConfig && svc.data.kind === "loadBalancerService") {
      // New source ports are published by the containers of the next upgrade or replacement.
      const lb = lbServiceSpec({ ...svc.data, lbConfig: input.lbConfig });
      checkLbReferences(ctx.store, svc.projectId!, lb.lbConfig);
      data.launchConfig = lb.launchConfig;
    }
    return ctx.store.update<ServiceFields>(svc.id, { data })!;
  });
}

/** Moves a service from one state to another, or fails with the state it is in. */
function move(
  ctx: VerbContext,
  id: string,
  from: string[],
  to: string,
  data?: Record<string, unknown>,
): Row<ServiceFields> {
  return ctx.store.transaction(() => {
    const svc = loadVisible<ServiceFields>(ctx, "service", id);
    const row = ctx.store.update<ServiceFields>(svc.id, { state: to, ...(data ? { data } : {}) }, from);
    if (!row) throw new AppError("ActionNotAvailable", `service ${id} is ${svc.state}`);
    return row;
  });
}

/** Service actions, each with the states it may start from. */
export const serviceActionStates: Record<string, string[]> = {
  activate: ["inactive"],
  deactivate: ["active", "activating", "upgraded", "canceled-upgrade"],
  restart: ["active"],
  upgrade: ["active", "activating", "inactive"],
  finishupgrade: ["upgraded", "canceled-upgrade", "upgrading"],
  rollback: ["upgraded", "canceled-upgrade", "upgrading"],
  cancelupgrade: ["upgrading"],
  remove: liveServiceStates.filter((s) => s !== "removing"),
  setservicelinks: liveServiceStates,
};

/** `activate`: starts the service's units. */
export function activateService(ctx: VerbContext, id: string): Row<ServiceFields> {
  return move(ctx, id, serviceActionStates.activate!, "activating");
}

/** `deactivate`: stops the service's containers (they stay, for a later activate). */
export function deactivateService(ctx: VerbContext, id: string): Row<ServiceFields> {
  return move(ctx, id, serviceActionStates.deactivate!, "deactivating");
}

/** `remove`: removes the service and all its containers. */
export function removeService(ctx: VerbContext, id: string): Row<ServiceFields> {
  return move(ctx, id, serviceActionStates.remove!, "removing");
}

/** `restart`: restarts the containers batch by batch. */
export function restartService(ctx: VerbContext, id: string, body: unknown): Row<ServiceFields> {
  const { rollingRestartStrategy: s } = parseInput(serviceRestartSchema, body);
  const row = move(ctx, id, serviceActionStates.restart!, "restarting");
  ctx.store.afterCommit(() => runRestart(ctx.store, ctx.dispatcher, row.id, s.batchSize, s.intervalMillis));
  return row;
}

/** `upgrade`: in-service upgrade to new launch configs, batch by batch (see runUpgrade). */
export function upgradeService(ctx: VerbContext, id: string, body: unknown): Row<ServiceFields> {
  const { inServiceStrategy: s } = parseInput(serviceUpgradeSchema, body);
  const row = ctx.store.transaction(() => {
    const svc = loadVisible<ServiceFields>(ctx, "service", id);
    return startUpgrade(ctx.store, svc, s.launchConfig, s.secondaryLaunchConfigs, s);
  });
  ctx.store.afterCommit(() => runUpgrade(ctx.store, ctx.dispatcher, row.id));
  return row;
}

/** Moves a service into `upgrading` with new launch configs (inside the caller's transaction). */
export function startUpgrade(
  store: Store,
  svc: Row<ServiceFields>,
  launchConfig: LaunchConfig | undefined,
  secondary: LaunchConfig[] | undefined,
  strategy: { batchSize: number; intervalMillis: number; startFirst: boolean },
  siblings: readonly string[] = [],
): Row<ServiceFields> {
  const next = {
    name: svc.name!,
    launchConfig: launchConfig ?? svc.data.launchConfig,
    secondaryLaunchConfigs: secondary ?? svc.data.secondaryLaunchConfigs,
  };
  checkLaunchConfigs(next);
  assertAllowed(serviceViolations(policyOf(store, svc.projectId!), next));
  assertOwnReferences(store, svc.projectId!, svc.data.stackId, next, siblings);
  const row = store.update<ServiceFields>(
    svc.id,
    {
      state: "upgrading",
      data: {
        launchConfig: next.launchConfig,
        secondaryLaunchConfigs: next.secondaryLaunchConfigs,
        version: String(Number(svc.data.version) + 1),
        upgrade: {
          previousVersion: svc.data.version,
          previousLaunchConfig: svc.data.launchConfig,
          previousSecondaryLaunchConfigs: svc.data.secondaryLaunchConfigs,
          ...strategy,
        },
      },
    },
    serviceActionStates.upgrade,
  );
  if (!row)
    throw new AppError("ActionNotAvailable", `service ${formatId("service", svc.id)} is ${svc.state}`);
  return row;
}

/** `finishupgrade`: removes the old containers. */
export function finishUpgrade(ctx: VerbContext, id: string): Row<ServiceFields> {
  const row = move(ctx, id, serviceActionStates.finishupgrade!, "finishing-upgrade");
  ctx.store.afterCommit(() => runFinish(ctx.store, ctx.dispatcher, row.id));
  return row;
}

/** `rollback`: brings the old containers back and removes the new ones. */
export function rollbackService(ctx: VerbContext, id: string): Row<ServiceFields> {
  const row = move(ctx, id, serviceActionStates.rollback!, "rolling-back");
  ctx.store.afterCommit(() => runRollback(ctx.store, ctx.dispatcher, row.id));
  return row;
}

/** `cancelupgrade`: stops the upgrade between batches; then finish or roll back. */
export function cancelUpgrade(ctx: VerbContext, id: string): Row<ServiceFields> {
  return move(ctx, id, serviceActionStates.cancelupgrade!, "canceled-upgrade");
}

/** `setservicelinks`: replaces the service's links with links to these services. */
export function setServiceLinks(ctx: VerbContext, id: string, body: unknown): Row<ServiceFields> {
  const input = parseInput(setServiceLinksSchema, body);
  return ctx.store.transaction(() => {
    const svc = loadVisible<ServiceFields>(ctx, "service", id);
    const links = input.serviceLinks.map((l) => {
      const target = ctx.store.getByPublicId<ServiceFields>("service", l.serviceId);
      if (!target || target.projectId !== svc.projectId || target.state === "removed") {
        throw new AppError("InvalidReference", `serviceLinks: service ${l.serviceId} not found`);
      }
      const stack = ctx.store.getByPublicId("stack", target.data.stackId);
      const ref = target.data.stackId === svc.data.stackId ? target.name! : `${stack?.name}/${target.name}`;
      return { target: ref, ...(l.name ? { alias: l.name } : {}) };
    });
    return ctx.store.update<ServiceFields>(svc.id, { data: { links } })!;
  });
}
