import { formatId, type StackSpec, sameDnsName, stackCreateSchema, stackUpgradeSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { keptAnswers, keptSecrets, resolveCatalogLaunch } from "../catalog/launch.ts";
import { referSecrets } from "../catalog/secret-refs.ts";
import {
  changedAnswers,
  exportMarkers,
  markPasswordRefs,
  parseKeepingPasswords,
  refersToAny,
} from "../catalog/secret-services.ts";
import { upgradeInfo } from "../catalog/stack-upgrades.ts";
import { exportStack } from "../compose/index.ts";
import type { ProjectFields } from "../model/project.ts";
import type { ServiceFields, StackFields } from "../model/service.ts";
import { lbServiceSpec } from "../network/lb-service.ts";
import { runFinish, runRollback, runUpgrade } from "../orchestrator/runners.ts";
import type { Row } from "../store/rows.ts";
import { assertAllowed, projectPolicy, stackVolumeViolations } from "./container-policy.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { checkScale } from "./scale-limit.ts";
import { insertService, liveServiceStates, serviceActionStates, startUpgrade } from "./services.ts";
import { insertStackVolumes, removeStackVolumes, stackVolumeNames } from "./stack-volumes.ts";

const liveStackStates = [
  "active",
  "inactive",
  "upgrading",
  "upgraded",
  "rolling-back",
  "finishing-upgrade",
  "removing",
];

/**
 * Creates a stack from compose files. The files are parsed and checked whole first: a stack that
 * cannot deploy is refused with `file:line:column` and nothing is created.
 */
export function createStack(ctx: VerbContext, projectId: string, body: unknown): Row<StackFields> {
  const input = parseInput(stackCreateSchema, body);
  const given = { ...(input.environment ?? {}), ...(input.answers ?? {}) };
  // A stack from the catalog is made from the template version, whatever files the client sent.
  const launch = resolveCatalogLaunch(ctx, projectId, input.name, input.externalId, given);
  const dockerCompose = launch?.dockerCompose ?? input.dockerCompose ?? "";
  const rancherCompose = launch?.rancherCompose ?? input.rancherCompose;
  const environment = launch?.environment ?? given;
  // A catalog stack's services keep its password answers as `${VAR}` references (secret-services.ts).
  const { spec, warnings } = parseKeepingPasswords(
    { dockerCompose, rancherCompose, environment: launch?.values ?? given },
    Object.keys(launch?.secretAnswers ?? {}),
  );
  const start = input.startOnCreate ?? true;
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    assertAllowed(stackVolumeViolations(projectPolicy(project.data), spec.volumes));
    const clash = ctx.store
      .all("stack", { projectId: pid, state: liveStackStates })
      .find((s) => sameDnsName(s.name, input.name));
    // Names differing only in case would share one DNS name (`svc.stack.rancher.internal`).
    if (clash)
      throw new AppError("NotUnique", `a stack named ${clash.name} exists in this environment`, {
        detail: { field: "name" },
      });
    const stack = ctx.store.insert<StackFields>("stack", {
      projectId: pid,
      name: input.name,
      state: "active",
      data: {
        description: input.description,
        dockerCompose,
        rancherCompose: rancherCompose ?? "",
        environment,
        externalId: input.externalId,
        ...(launch && {
          secretAnswers: launch.secretAnswers,
          upgradeAvailable: launch.upgradeAvailable,
          upgradeVersions: launch.upgradeVersions,
        }),
        startOnCreate: start,
        healthState: "initializing",
        warnings,
        volumes: spec.volumes,
        volumeNames: stackVolumeNames(input.name, spec.volumes),
      },
    });
    const stackId = formatId("stack", stack.id);
    insertStackVolumes(ctx.store, pid, stackId, spec.volumes, stack.data.volumeNames ?? {});
    for (const svc of spec.services) checkScale(ctx, svc.scale, svc.name);
    const names = spec.services.map((s) => s.name);
    for (const svc of spec.services)
      insertService(ctx.store, pid, stackId, svc, start && svc.startOnCreate, names);
    return stack;
  });
}

/** The live services of a stack. */
export function stackServices(ctx: VerbContext, stack: Row): Row<ServiceFields>[] {
  return ctx.store.all<ServiceFields>("service", {
    projectId: stack.projectId!,
    state: liveServiceStates,
    dataField: ["stackId", formatId("stack", stack.id)],
  });
}

/** `activateservices` / `deactivateservices`: every service of the stack. */
export function setStackServicesActive(ctx: VerbContext, id: string, active: boolean): Row<StackFields> {
  return ctx.store.transaction(() => {
    const stack = loadVisible<StackFields>(ctx, "stack", id);
    for (const svc of stackServices(ctx, stack)) {
      const from = active ? serviceActionStates.activate! : serviceActionStates.deactivate!;
      ctx.store.update(svc.id, { state: active ? "activating" : "deactivating" }, from);
    }
    return ctx.store.update<StackFields>(stack.id, { state: active ? "active" : "inactive" })!;
  });
}

/** `remove`: removes the stack with all its services and their containers. */
export function removeStack(ctx: VerbContext, id: string): Row<StackFields> {
  return ctx.store.transaction(() => {
    const stack = loadVisible<StackFields>(ctx, "stack", id);
    if (stack.state === "removed") throw new AppError("ActionNotAvailable", `stack ${id} is removed`);
    for (const svc of stackServices(ctx, stack)) ctx.store.update(svc.id, { state: "removing" });
    const owner = { projectId: stack.projectId!, stackId: formatId("stack", stack.id) };
    ctx.store.afterCommit(() => void removeStackVolumes(ctx, owner));
    return ctx.store.update<StackFields>(stack.id, { state: "removed", removed: Date.now() })!;
  });
}

/** Launch config equality, for deciding which services an upgrade touches. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * `upgrade` with new compose files: services whose launch configs changed are upgraded in service
 * (with their rancher-compose upgrade_strategy), new services are added, scale and other fields are
 * applied. Services missing from the new files are left alone, as rancher-compose did.
 */
export function upgradeStack(ctx: VerbContext, id: string, body: unknown): Row<StackFields> {
  const input = parseInput(stackUpgradeSchema, body);
  const upgraded: number[] = [];
  const row = ctx.store.transaction(() => {
    const stack = loadVisible<StackFields>(ctx, "stack", id);
    if (!["active", "inactive"].includes(stack.state))
      throw new AppError("ActionNotAvailable", `stack ${id} is ${stack.state}`);
    const given = { ...(input.environment ?? {}), ...(input.answers ?? {}) };
    const externalId = input.externalId ?? stack.data.externalId;
    // A catalog stack re-renders its (new) version with the answers it kept plus the new ones; new
    // files without a new externalId are a plain upgrade (`rancher up` over a catalog stack).
    const fromCatalog =
      input.externalId !== undefined ||
      (input.dockerCompose === undefined && input.rancherCompose === undefined);
    const launch = fromCatalog
      ? resolveCatalogLaunch(ctx, stack.projectId!, stack.name!, externalId, {
          ...(ctx.catalogs ? keptAnswers(ctx.catalogs, stack.data) : stack.data.environment),
          ...given,
        })
      : null;
    const kept = ctx.catalogs ? keptSecrets(ctx.catalogs, stack.data) : {};
    // New files for a catalog stack (its own files sent back with changes) keep the `${VAR}`
    // references to its password answers; a password answer sent with them is sealed as well,
    // never kept in the stack's environment.
    const plain = splitPasswords(given, kept);
    const environment = launch?.environment ?? { ...stack.data.environment, ...plain.environment };
    const secretAnswers = launch?.secretAnswers ?? sealAll(ctx, stack.data.secretAnswers, plain.secrets);
    const answers = launch ? launch.values : { ...kept, ...plain.secrets };
    const dockerCompose = launch?.dockerCompose ?? input.dockerCompose ?? stack.data.dockerCompose;
    const rancherCompose = launch?.rancherCompose ?? input.rancherCompose ?? stack.data.rancherCompose;
    const { spec, warnings } = parseKeepingPasswords(
      { dockerCompose, rancherCompose, environment: { ...environment, ...answers } },
      Object.keys(secretAnswers ?? {}),
    );
    // A service whose references stand for a password answer that changed is upgraded as well:
    // its containers get the new value.
    const changed = changedAnswers(kept, launch ? pick(launch.values, launch.secretAnswers) : answers);
    const project = ctx.store.getByPublicId<ProjectFields>("project", stack.projectId!);
    assertAllowed(stackVolumeViolations(projectPolicy(project?.data ?? {}), spec.volumes));
    const existing = new Map(stackServices(ctx, stack).map((s) => [s.name, s]));
    const stackId = formatId("stack", stack.id);
    const volumeNames = stackVolumeNames(stack.name!, spec.volumes, stack.data.volumeNames);
    insertStackVolumes(ctx.store, stack.projectId!, stackId, spec.volumes, volumeNames);
    for (const next of spec.services) checkScale(ctx, next.scale, next.name);
    const names = spec.services.map((s) => s.name);
    for (const next of spec.services.map(lbServiceSpec)) {
      const svc = existing.get(next.name);
      if (!svc) {
        insertService(ctx.store, stack.projectId!, stackId, next, stack.state === "active", names);
        continue;
      }
      const { launchConfig, secondaryLaunchConfigs, name: _n, ...fields } = next;
      ctx.store.update(svc.id, { data: { ...fields } });
      if (
        !same(launchConfig, svc.data.launchConfig) ||
        !same(secondaryLaunchConfigs, svc.data.secondaryLaunchConfigs) ||
        refersToAny([launchConfig, ...(secondaryLaunchConfigs ?? [])], changed)
      ) {
        const strategy = next.upgradeStrategy ?? { batchSize: 1, intervalMillis: 2000, startFirst: false };
        const fresh = ctx.store.get<ServiceFields>(svc.id)!;
        upgraded.push(
          startUpgrade(ctx.store, fresh, launchConfig, secondaryLaunchConfigs, strategy, names).id,
        );
      }
    }
    return ctx.store.update<StackFields>(stack.id, {
      state: upgraded.length > 0 ? "upgrading" : stack.state,
      data: {
        dockerCompose,
        rancherCompose,
        environment,
        warnings,
        volumes: spec.volumes,
        volumeNames,
        ...(input.externalId ? { externalId: input.externalId } : {}),
        ...(secretAnswers && { secretAnswers }),
        ...(launch && {
          upgradeAvailable: launch.upgradeAvailable,
          upgradeVersions: launch.upgradeVersions,
        }),
        previous: {
          dockerCompose: stack.data.dockerCompose,
          rancherCompose: stack.data.rancherCompose,
          environment: stack.data.environment,
          externalId: stack.data.externalId,
          secretAnswers: stack.data.secretAnswers,
          warnings: stack.data.warnings,
          volumes: stack.data.volumes,
        },
      },
    })!;
  });
  for (const sid of upgraded) ctx.store.afterCommit(() => runUpgrade(ctx.store, ctx.dispatcher, sid));
  return row;
}

/** `finishupgrade` / `rollback` / `cancelupgrade` on every upgrading service of the stack. */
export function settleStackUpgrade(
  ctx: VerbContext,
  id: string,
  how: "finish" | "rollback" | "cancel",
): Row<StackFields> {
  const started: number[] = [];
  const row = ctx.store.transaction(() => {
    const stack = loadVisible<StackFields>(ctx, "stack", id);
    if (!["upgrading", "upgraded"].includes(stack.state))
      throw new AppError("ActionNotAvailable", `stack ${id} is ${stack.state}`);
    const target =
      how === "finish" ? "finishing-upgrade" : how === "rollback" ? "rolling-back" : "canceled-upgrade";
    const from = how === "cancel" ? serviceActionStates.cancelupgrade! : serviceActionStates.finishupgrade!;
    for (const svc of stackServices(ctx, stack))
      if (ctx.store.update(svc.id, { state: target }, from)) started.push(svc.id);
    const back =
      how === "rollback" && stack.data.previous
        ? {
            ...stack.data.previous,
            previous: undefined,
            // Back on the earlier catalog version: its upgrades are offered again.
            ...(ctx.catalogs && upgradeInfo(ctx.catalogs, stack.data.previous.externalId)),
          }
        : { previous: undefined };
    return ctx.store.update<StackFields>(stack.id, {
      state: how === "cancel" ? "upgraded" : "active",
      data: how === "cancel" ? {} : back,
    })!;
  });
  for (const sid of started) {
    if (how === "finish") ctx.store.afterCommit(() => runFinish(ctx.store, ctx.dispatcher, sid));
    if (how === "rollback") ctx.store.afterCommit(() => runRollback(ctx.store, ctx.dispatcher, sid));
  }
  return row;
}

/** `exportconfig`: the stack as compose files that deploy the same stack again. */
export function exportStackConfig(
  ctx: VerbContext,
  id: string,
): { type: string; dockerComposeConfig: string; rancherComposeConfig: string } {
  const stack = loadVisible<StackFields>(ctx, "stack", id);
  const spec: StackSpec = {
    services: stackServices(ctx, stack).map((s) => {
      const {
        stackId: _s,
        version: _v,
        nextCreateIndex: _n,
        currentScale: _c,
        healthState: _h,
        upgrade: _u,
        schedulingMessage: _m,
        transitioningMessage: _t,
        ...rest
      } = s.data;
      return { name: s.name!, ...rest };
    }),
    volumes: stack.data.volumes ?? {},
  };
  // The services keep password answers as `${VAR}` references (those made before they did, in
  // clear); the export writes them as the references the catalog files had. Markers go through the
  // export's `$` escaping untouched and become the references after it.
  const secrets = ctx.catalogs ? keptSecrets(ctx.catalogs, stack.data) : {};
  const marker = exportMarkers(secrets);
  spec.services = markPasswordRefs(spec.services, Object.keys(secrets), marker).map((s) => ({
    ...s,
    launchConfig: referSecrets(s.launchConfig, secrets, marker),
    secondaryLaunchConfigs: referSecrets(s.secondaryLaunchConfigs, secrets, marker),
  }));
  const files = exportStack(spec);
  const refs = (text: string) =>
    Object.keys(secrets).reduce((t, k) => t.replaceAll(marker(k), `\${${k}}`), text);
  return {
    type: "composeConfig",
    dockerComposeConfig: refs(files.dockerCompose),
    rancherComposeConfig: refs(files.rancherCompose),
  };
}

/** Splits answers sent with new files into password answers (names the stack keeps sealed) and the rest. */
function splitPasswords(
  given: Record<string, string>,
  kept: Record<string, string>,
): { environment: Record<string, string>; secrets: Record<string, string> } {
  const environment: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) (Object.hasOwn(kept, k) ? secrets : environment)[k] = v;
  return { environment, secrets };
}

/** A stack's sealed password answers with `fresh` ones sealed over them; undefined when it has none. */
function sealAll(
  ctx: VerbContext,
  sealed: Record<string, string> | undefined,
  fresh: Record<string, string>,
): Record<string, string> | undefined {
  if (!sealed || !ctx.catalogs) return sealed;
  const box = ctx.catalogs.box;
  return { ...sealed, ...Object.fromEntries(Object.entries(fresh).map(([k, v]) => [k, box.seal(v)])) };
}

/** The entries of `values` named by the keys of `names`. */
function pick(values: Record<string, string>, names: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(names).flatMap((k) => (Object.hasOwn(values, k) ? [[k, values[k]!]] : [])),
  );
}
