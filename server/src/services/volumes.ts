import { formatId, type VolumeTemplate, volumeCreateSchema } from "@corral/api";
import { AppError, createLogger } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import type { HostFields } from "../model/host.ts";
import type { ServiceFields, StackFields } from "../model/service.ts";
import type { VolumeFields } from "../model/volume.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

const log = createLogger("server.volumes");

/** Volume states from which the volume still exists (for name clashes). */
const liveStates = ["creating", "active", "removing", "error"];

/** Connected hosts of an environment (the engines a volume lives on). */
function connectedHosts(ctx: Pick<VerbContext, "store" | "dispatcher">, projectId: string): string[] {
  return ctx.store
    .all<HostFields>("host", { projectId })
    .filter((h) => h.state === "active")
    .map((h) => formatId("host", h.id))
    .filter((id) => ctx.dispatcher.isConnected(id));
}

/**
 * True when a mount source names the volume (`name:/path[:mode]`). A per-container volume of that
 * name is another volume (`<name>_<container>`).
 */
function mounts(
  lc: { dataVolumes?: string[]; volumeTemplates?: Record<string, VolumeTemplate> } | undefined,
  name: string,
): boolean {
  if (
    lc?.volumeTemplates &&
    Object.hasOwn(lc.volumeTemplates, name) &&
    lc.volumeTemplates[name]?.perContainer
  )
    return false;
  return (lc?.dataVolumes ?? []).some((v) => v.split(":")[0] === name);
}

/** Containers and services of the environment that mount a named volume. */
export function volumeUsers(store: Store, projectId: string, name: string): string[] {
  const containers = store
    .all<ContainerFields>("container", { projectId })
    .filter((c) => c.state !== "removed" && mounts(c.data, name))
    .map((c) => `container ${c.name ?? formatId("container", c.id)}`);
  // A stack's own volume of that name is another volume (`<stack>_<name>_<random>`).
  const ownedBy = (stackId: string) =>
    Object.hasOwn(store.getByPublicId<StackFields>("stack", stackId)?.data.volumeNames ?? {}, name);
  const services = store
    .all<ServiceFields>("service", { projectId })
    .filter(
      (s) =>
        s.state !== "removed" &&
        [s.data.launchConfig, ...(s.data.secondaryLaunchConfigs ?? [])].some((lc) => mounts(lc, name)) &&
        !ownedBy(s.data.stackId),
    )
    .map((s) => `service ${s.name}`);
  return [...services, ...containers];
}

/**
 * Creates a named volume in an environment: the row at once (`creating`), then the volume on every
 * connected host of the environment, after commit; the row turns `active` when they answered, or
 * `error` with their message. Hosts that join later get it from Docker when a container mounts it.
 */
export function createVolume(ctx: VerbContext, projectId: string, body: unknown): Row<VolumeFields> {
  const input = parseInput(volumeCreateSchema, body);
  const row = ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    const clash = ctx.store
      .all("volume", { projectId: pid, state: liveStates })
      .some((v) => v.name === input.name);
    if (clash)
      throw new AppError("NotUnique", `a volume named ${input.name} exists in this environment`, {
        detail: { field: "name" },
      });
    return ctx.store.insert<VolumeFields>("volume", {
      projectId: pid,
      name: input.name,
      state: "creating",
      data: {
        ...(input.description ? { description: input.description } : {}),
        driver: input.driver,
        driverOpts: input.driverOpts,
        hostIds: [],
      },
    });
  });
  ctx.store.afterCommit(() => void settleVolume(ctx, row.id, "create"));
  return row;
}

/**
 * Removes a volume: refused while a container or service of the environment mounts it; otherwise
 * the row turns `removing`, each connected host removes it from its engine, and the row `removed`.
 */
export function removeVolume(ctx: VerbContext, id: string): Row<VolumeFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<VolumeFields>(ctx, "volume", id);
    if (row.state === "removed" || row.state === "removing")
      throw new AppError("ActionNotAvailable", `volume ${id} is ${row.state}`);
    if (row.data.instanceId) assertContainerGone(ctx.store, row);
    const owner =
      row.data.stackId && !row.data.instanceId
        ? ctx.store.getByPublicId<StackFields>("stack", row.data.stackId)
        : null;
    if (owner && owner.state !== "removed")
      throw new AppError(
        "ActionNotAvailable",
        `volume ${row.name} belongs to stack ${owner.name}: it is removed with the stack`,
      );
    const users = volumeUsers(ctx.store, row.projectId!, row.name!);
    if (users.length > 0)
      throw new AppError(
        "ActionNotAvailable",
        `volume ${row.name} is in use by ${users.slice(0, 10).join(", ")}`,
      );
    const updated = ctx.store.update<VolumeFields>(row.id, { state: "removing" })!;
    ctx.store.afterCommit(() => void settleVolume(ctx, row.id, "remove"));
    return updated;
  });
}

/**
 * A per-container volume is its container's while the container is there (it is removed with
 * it): refused as in use until then. One left behind (its engine refused the removal) is the
 * user's to remove.
 */
function assertContainerGone(store: Store, row: Row<VolumeFields>): void {
  const c = store.getByPublicId<ContainerFields>("container", row.data.instanceId!);
  if (c && c.state !== "removed")
    throw new AppError(
      "ActionNotAvailable",
      `volume ${row.name} is in use by container ${c.name ?? row.data.instanceId}: it is removed with the container`,
    );
}

/**
 * Sends the create or remove to the environment's connected hosts and records the outcome. A
 * remove of a row that is removed already does nothing (a stack's removal and its containers'
 * both remove per-container volumes).
 */
export async function settleVolume(
  ctx: Pick<VerbContext, "store" | "dispatcher">,
  rowId: number,
  verb: "create" | "remove",
): Promise<void> {
  const row = ctx.store.get<VolumeFields>(rowId);
  if (!row?.projectId || !row.name) return;
  if (verb === "remove" && row.state === "removed") return;
  const hosts =
    verb === "create"
      ? connectedHosts(ctx, row.projectId)
      : [...new Set([...row.data.hostIds, ...connectedHosts(ctx, row.projectId)])];
  const failures: string[] = [];
  const done: string[] = [];
  await Promise.all(
    hosts.map(async (hostId) => {
      try {
        if (verb === "create")
          await ctx.dispatcher.dispatch(hostId, "volume.create", {
            name: row.name!,
            driver: row.data.driver,
            driverOpts: row.data.driverOpts,
          });
        else if (ctx.dispatcher.isConnected(hostId))
          await ctx.dispatcher.dispatch(hostId, "volume.remove", { name: row.name! });
        done.push(hostId);
      } catch (e) {
        failures.push(`${hostId}: ${(e as Error).message}`.slice(0, 500));
      }
    }),
  );
  if (failures.length) log.warn(`volume ${verb} failed on some hosts`, { volume: row.name, failures });
  ctx.store.transaction(() => {
    const now = ctx.store.get<VolumeFields>(rowId);
    if (!now) return;
    const message = failures.length ? failures.join("; ") : undefined;
    if (verb === "create") {
      ctx.store.update<VolumeFields>(rowId, {
        state: failures.length && !done.length ? "error" : "active",
        data: { hostIds: done, transitioningMessage: message },
      });
    } else if (failures.length) {
      // An engine refused (a container outside Corral uses it, or the driver failed): the volume
      // is still there, so the row stays, saying where and why.
      const left = now.data.hostIds.filter((h) => !done.includes(h));
      ctx.store.update<VolumeFields>(rowId, {
        state: "active",
        data: { hostIds: left, transitioningMessage: `not removed: ${message}` },
      });
    } else {
      ctx.store.update<VolumeFields>(rowId, {
        state: "removed",
        removed: Date.now(),
        data: { hostIds: [], transitioningMessage: message },
      });
    }
  });
}
