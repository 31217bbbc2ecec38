import {
  type ContainerCreate,
  containerCreateSchema,
  containerUpdateSchema,
  formatId,
  type LaunchConfig,
  launchConfigSchema,
} from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import { allocateAddress, isManaged, requestedIpLabel } from "../network/allocation.ts";
import { assignPublicPorts } from "../network/public-ports.ts";
import { placeContainer } from "../orchestrator/place-container.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { completeTransition, type TransitionState } from "./container-lifecycle.ts";
import { assertAllowed, policyViolations, projectPolicy } from "./container-policy.ts";
import { newContainerFields, parsePort, presentContainerStates, splitCommand } from "./container-spec.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { ownContainersNamed, resolveContainerVolumesFrom } from "./volumes-from.ts";

/** States of containers that still hold their name (present ones, and those being removed). */
const liveStates = [...presentContainerStates, "removing"];

/**
 * Creates a container in a project: a unit of one, made from its launch config by the same mapping
 * and placed by the same scheduler as a service's units, then asks that host's agent to run it.
 */
export function createContainer(ctx: VerbContext, projectId: string, body: unknown): Row<ContainerFields> {
  const input = parseInput(containerCreateSchema, body);
  const lc = containerLaunchConfig(input);
  const row = ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    assertAllowed(policyViolations(projectPolicy(project.data), lc));
    assertOwnContainers(ctx.store, pid, lc);
    if (input.name) assertNameFree(ctx, pid, input.name);
    // Volumes come from a container on its own host: place it there unless a host was asked for.
    const source = lc.dataVolumesFrom[0] && ownContainersNamed(ctx.store, pid, lc.dataVolumesFrom[0])[0];
    const requestedHostId = input.requestedHostId ?? (source ? (source.data.hostId ?? undefined) : undefined);
    const placed = placeContainer(ctx.store, ctx.dispatcher, pid, lc, { ...input, requestedHostId });
    const volumesFrom = resolveContainerVolumesFrom(ctx.store, pid, placed.hostId, lc);
    const address = isManaged(lc.networkMode)
      ? allocateAddress(ctx.store, pid, placed.hostId, lc.labels[requestedIpLabel])
      : null;
    const inserted = ctx.store.insert<ContainerFields>("container", {
      projectId: pid,
      name: input.name ?? null,
      state: "creating",
      data: {
        description: input.description,
        requestedHostId: input.requestedHostId,
        ...newContainerFields(lc, {
          hostId: placed.hostId,
          ports: assignPublicPorts(ctx.store, pid, placed.hostId, placed.ports),
          labels: lc.labels,
          volumesFrom,
          address,
          startOnCreate: input.startOnCreate ?? true,
          transitioningMessage: "scheduled",
        }),
      },
    });
    if (input.name) return inserted;
    // Docker needs a name that is unique on the host; the row id makes one.
    return ctx.store.update<ContainerFields>(inserted.id, { name: `container-${inserted.id}` })!;
  });
  ctx.store.afterCommit(() => completeTransition(ctx.store, ctx.dispatcher, row.id));
  return row;
}

/** The launch config of a container create: its own fields left out, the image and commands normalized. */
export function containerLaunchConfig(input: ContainerCreate): LaunchConfig {
  const {
    name: _name,
    description: _description,
    requestedHostId: _requested,
    startOnCreate: _start,
    image,
    imageUuid,
    command,
    entryPoint,
    ...rest
  } = input;
  const ref = imageUuid ?? image;
  if (!ref)
    throw new AppError("MissingRequired", "imageUuid: an image is required", {
      detail: [{ field: "imageUuid" }],
    });
  const lc = parseInput(launchConfigSchema, {
    ...rest,
    imageUuid: ref.startsWith("docker:") ? ref : `docker:${ref}`,
    command: splitCommand(command),
    entryPoint: splitCommand(entryPoint),
  });
  lc.ports.forEach(parsePort);
  return lc;
}

/** Edits a container's name or description (the Docker container keeps its name). */
export function updateContainer(ctx: VerbContext, id: string, body: unknown): Row<ContainerFields> {
  const input = parseInput(containerUpdateSchema, body);
  return ctx.store.transaction(() => {
    const row = loadVisible<ContainerFields>(ctx, "container", id);
    const data: Record<string, unknown> = {};
    if (input.description !== undefined) data.description = input.description;
    if (input.name && input.name !== row.name) {
      assertNameFree(ctx, row.projectId!, input.name);
      // The Docker container keeps the name it was created with; remember it so it stays taken.
      data.dockerName = row.data.dockerName ?? row.name;
    }
    return ctx.store.update<ContainerFields>(row.id, { data, ...(input.name ? { name: input.name } : {}) })!;
  });
}

/** The states from which each action may start, and the transitional state it enters. */
export const containerActions: Record<
  "start" | "stop" | "restart" | "remove",
  { from: string[]; to: TransitionState }
> = {
  start: { from: ["stopped", "error"], to: "starting" },
  stop: { from: ["running"], to: "stopping" },
  restart: { from: ["running", "stopped"], to: "restarting" },
  remove: { from: ["running", "stopped", "error", "creating"], to: "removing" },
};

/** Runs start, stop, restart or remove: moves the record to its transitional state, then asks the agent. */
export function containerAction(
  ctx: VerbContext,
  id: string,
  action: keyof typeof containerActions,
): Row<ContainerFields> {
  const rule = containerActions[action];
  const row = ctx.store.transaction(() => {
    const current = loadVisible<ContainerFields>(ctx, "container", id);
    if (action === "start" && current.state === "error" && !current.data.externalId) {
      throw new AppError(
        "ActionNotAvailable",
        `container ${id} was never created; remove it and create it again`,
      );
    }
    if (action === "remove" && !current.data.hostId) {
      // Never placed on a host: the record can go at once.
      const gone = ctx.store.update<ContainerFields>(current.id, { state: "removed", removed: Date.now() }, [
        current.state,
      ]);
      if (gone) return gone;
    }
    const updated = ctx.store.update<ContainerFields>(
      current.id,
      { state: rule.to, data: { transitioningMessage: "" } },
      rule.from,
    );
    if (!updated)
      throw new AppError(
        "ActionNotAvailable",
        `cannot ${action} container ${id} while it is ${current.state}`,
      );
    return updated;
  });
  if (row.state === rule.to)
    ctx.store.afterCommit(() => completeTransition(ctx.store, ctx.dispatcher, row.id));
  return row;
}

/** Deletes the record of a removed container for good (admins only). */
export function purgeContainer(ctx: VerbContext, id: string): Row<ContainerFields> {
  if (ctx.principal.kind !== "admin") throw new AppError("PermissionDenied", "purge needs an admin account");
  return ctx.store.transaction(() => {
    const row = loadVisible<ContainerFields>(ctx, "container", id);
    if (row.state !== "removed")
      throw new AppError("ActionNotAvailable", `container ${id} is ${row.state}; remove it first`);
    ctx.store.purge(row.id);
    return { ...row, state: "purged" };
  });
}

/** The host a container runs on, checking that its agent can take work now. */
export function requireConnectedHost(ctx: VerbContext, row: Row<ContainerFields>): string {
  const hostId = row.data.hostId;
  if (!hostId || !ctx.dispatcher.isConnected(hostId)) {
    throw new AppError("Unavailable", `the agent of host ${hostId ?? "(none)"} is not connected`);
  }
  return hostId;
}

/**
 * `networkMode: container:<x>` and `dataVolumesFrom` name Docker containers, and Docker looks the
 * name up on the whole host: each must be a container of this environment, or a tenant could join
 * another environment's network namespace or mount its volumes (bind mounts included). Services
 * pass `volumesFrom: false`: their dataVolumesFrom name services of their stack (compose
 * `volumes_from`), not containers. `at` prefixes the field names.
 */
export function assertOwnContainers(
  store: Store,
  projectId: string,
  lc: LaunchConfig,
  at = "",
  volumesFrom = true,
): void {
  const refs: [string, string][] = volumesFrom
    ? lc.dataVolumesFrom.map((x, i) => [`${at}dataVolumesFrom[${i}]`, x])
    : [];
  if (lc.networkMode.startsWith("container:"))
    refs.push([`${at}networkMode`, lc.networkMode.slice("container:".length)]);
  if (refs.length === 0) return;
  const own = store.all<ContainerFields>("container", { projectId, state: liveStates });
  for (const [field, ref] of refs) {
    const found = own.some(
      (c) =>
        c.name === ref ||
        c.data.dockerName === ref ||
        (c.data.externalId !== null && ref.length >= 12 && c.data.externalId.startsWith(ref)),
    );
    if (!found)
      throw new AppError("InvalidReference", `${field}: no container ${ref} in this environment`, {
        detail: [{ field, value: ref, rancherCode: "InvalidReference" }],
      });
  }
}

function assertNameFree(ctx: VerbContext, projectId: string, name: string): void {
  const clash = ctx.store
    .all<ContainerFields>("container", { projectId, state: liveStates })
    .some((c) => c.name === name || c.data.dockerName === name);
  if (clash)
    throw new AppError("NotUnique", `a container named ${name} exists in this environment`, {
      detail: { field: "name" },
    });
}
