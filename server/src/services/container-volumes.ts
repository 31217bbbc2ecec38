import { formatId, parseId, type VolumeTemplate } from "@corral/api";
import { createLogger } from "@corral/lib";
import { namedVolumeOf } from "../compose/volumes.ts";
import type { ContainerFields } from "../model/container.ts";
import type { UnitMembership } from "../model/service.ts";
import type { VolumeFields } from "../model/volume.ts";
import type { Row } from "../store/rows.ts";
import type { RowChange, Store } from "../store/store.ts";
import { presentContainerStates } from "./container-spec.ts";
import type { Dispatcher } from "./context.ts";
import { settleVolume } from "./volumes.ts";

const log = createLogger("server.container-volumes");

/**
 * Per-container volumes, as Rancher 1.6 listed them: a compose volume with `per_container: true`
 * gives each container a Docker volume of its own, `<volume>_<container>` (the agent names it so,
 * agent/src/docker-spec.ts). Each gets a `volume` row (with its container, its stack, its driver
 * and options) when its container is made, lists the host once the container is there, and is
 * removed, row and Docker volume, when its container is removed (and so with its stack).
 */

/** Container states in which its volumes exist on its host. */
const placedStates = new Set(["starting", "running", "stopping", "stopped", "restarting"]);

/** Volume row states from which the volume still exists. */
const liveVolumeStates = ["creating", "active", "removing", "error"];

/** One per-container volume of a container: its Docker name, the compose name, and the template. */
export interface ContainerVolume {
  name: string;
  source: string;
  template: VolumeTemplate;
}

/**
 * The per-container volumes a container mounts, named as the agent names them: the compose
 * volume, `_`, and the container's Docker name.
 */
export function perContainerVolumes(c: ContainerFields, dockerName: string): ContainerVolume[] {
  const templates = c.volumeTemplates ?? {};
  const out: ContainerVolume[] = [];
  const seen = new Set<string>();
  for (const v of c.dataVolumes ?? []) {
    const named = namedVolumeOf(v);
    const t = named && Object.hasOwn(templates, named.name) ? templates[named.name] : undefined;
    if (!named || !t?.perContainer || seen.has(named.name)) continue;
    seen.add(named.name);
    out.push({ name: `${named.name}_${dockerName}`, source: named.name, template: t });
  }
  return out;
}

/** True when a container mounts any per-container volume (cheap: most containers do not). */
function hasPerContainer(c: ContainerFields): boolean {
  return Object.values(c.volumeTemplates ?? {}).some((t) => t?.perContainer);
}

/** The Docker name a container was made with (the agent's `spec.name`). */
function dockerNameOf(row: Row<ContainerFields>): string | null {
  return row.data.dockerName ?? row.name ?? null;
}

/** True when the container (public id) is there and not removed. */
function containerLive(store: Store, containerId: string): boolean {
  const c = store.getByPublicId("container", containerId);
  return Boolean(c && c.state !== "removed");
}

/** The live volume rows of one container's per-container volumes. */
function rowsOf(store: Store, projectId: string, containerId: string): Row<VolumeFields>[] {
  return store.all<VolumeFields>("volume", {
    projectId,
    state: liveVolumeStates,
    dataField: ["instanceId", containerId],
  });
}

/**
 * Brings the rows of one container's per-container volumes up to date (inside the caller's
 * transaction): made when it is, naming its host once there, `removing` once it is removed or
 * gone. Returns the ids of rows whose Docker volumes are now to be removed.
 */
function syncContainer(store: Store, projectId: string, containerRowId: number): number[] {
  const containerId = formatId("container", containerRowId);
  const row = store.get<ContainerFields & Partial<UnitMembership>>(containerRowId);
  const rows = rowsOf(store, projectId, containerId);
  if (row?.type !== "container" || row.state === "removed") {
    const doomed = rows.filter((r) => r.state !== "removing");
    for (const r of doomed) store.update<VolumeFields>(r.id, { state: "removing" });
    return doomed.map((r) => r.id);
  }
  const dockerName = dockerNameOf(row);
  if (!dockerName) return [];
  const hostId = placedStates.has(row.state) ? row.data.hostId : null;
  for (const v of perContainerVolumes(row.data, dockerName)) {
    const own = rows.find((r) => r.name === v.name);
    if (own) {
      if (hostId && own.state !== "removing" && !own.data.hostIds.includes(hostId))
        store.update<VolumeFields>(own.id, { data: { hostIds: [...own.data.hostIds, hostId] } });
      continue;
    }
    // A container that took the Docker name of a removed one whose volume stayed (its engine
    // refused the removal) mounts that same Docker volume: the row follows the new container.
    // Never an environment volume of that name, nor one being removed (that removal runs on).
    const sameName = store
      .all<VolumeFields>("volume", { projectId, state: ["active", "error"] })
      .find((r) => r.name === v.name && r.data.instanceId && !containerLive(store, r.data.instanceId));
    if (sameName) {
      store.update<VolumeFields>(sameName.id, {
        state: "active",
        data: {
          instanceId: containerId,
          hostIds:
            hostId && !sameName.data.hostIds.includes(hostId)
              ? [...sameName.data.hostIds, hostId]
              : sameName.data.hostIds,
        },
      });
      continue;
    }
    store.insert<VolumeFields>("volume", {
      projectId,
      name: v.name,
      // As a stack's own volumes: the engine makes it when the container first mounts it.
      state: "active",
      data: {
        description: `volume ${v.source} of container ${dockerName}`,
        driver: v.template.driver,
        driverOpts: v.template.driverOpts,
        hostIds: hostId ? [hostId] : [],
        instanceId: containerId,
        ...(row.data.stackId ? { stackId: row.data.stackId } : {}),
      },
    });
  }
  return [];
}

/**
 * Keeps the rows of per-container volumes in step with their containers (see above). Listens to
 * committed container changes and writes in a transaction of its own, after them; removals of the
 * Docker volumes run after that commits. At start it catches up with what changed while the server
 * was down (containers made or removed, removals left half-done).
 */
export function trackContainerVolumes(store: Store, dispatcher: Dispatcher): () => void {
  const ctx = { store, dispatcher };
  const queued = new Map<number, string>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const work = [...queued];
    queued.clear();
    try {
      const doomed = store.transaction(() =>
        work.flatMap(([id, projectId]) => syncContainer(store, projectId, id)),
      );
      for (const id of doomed) void settleVolume(ctx, id, "remove");
    } catch (e) {
      // The store may be closing with the server: the next start catches up.
      log.warn("per-container volumes not brought up to date", { error: (e as Error).message });
    }
  };
  const queue = (id: number, projectId: string) => {
    queued.set(id, projectId);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const stop = store.onChange((change: RowChange) => {
    const { row } = change;
    if (row.type !== "container" || !row.projectId || !hasPerContainer(row.data as ContainerFields)) return;
    queue(row.id, row.projectId);
  });
  const halt = catchUp(store, ctx, queue);
  return () => {
    stop();
    halt();
  };
}

/**
 * Queues the containers made while the server was down, and removes the volumes of containers
 * removed meanwhile (or left `removing` by a server that stopped before the engine answered) once
 * their hosts' agents are back: at start none is connected, and a volume is removed from its
 * host's engine, not only from the list. Returns a function that stops the waiting.
 */
function catchUp(
  store: Store,
  ctx: { store: Store; dispatcher: Dispatcher },
  queue: (id: number, projectId: string) => void,
): () => void {
  let stopped = false;
  try {
    for (const c of store.all<ContainerFields>("container", {
      state: [...presentContainerStates, "removing"],
    }))
      if (c.projectId && hasPerContainer(c.data)) queue(c.id, c.projectId);
    const orphans = store.transaction(() =>
      store.all<VolumeFields>("volume", { state: liveVolumeStates }).filter((v) => {
        const rowId = v.data.instanceId ? parseId("container", v.data.instanceId) : null;
        if (rowId === null) return false;
        const c = store.get<ContainerFields>(rowId);
        if (c?.type === "container" && c.state !== "removed") return false;
        if (v.state !== "removing") store.update<VolumeFields>(v.id, { state: "removing" });
        return true;
      }),
    );
    if (orphans.length > 0)
      void (async () => {
        const deadline = Date.now() + 10 * 60_000;
        let left = orphans;
        while (left.length > 0 && !stopped) {
          const ready = left.filter((v) => hostsBack(store, ctx.dispatcher, v) || Date.now() > deadline);
          left = left.filter((v) => !ready.includes(v));
          for (const v of ready) await settleVolume(ctx, v.id, "remove");
          if (left.length > 0) await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      })().catch((e) => log.warn("per-container volumes not removed", { error: (e as Error).message }));
  } catch (e) {
    log.warn("per-container volumes not caught up", { error: (e as Error).message });
  }
  return () => {
    stopped = true;
  };
}

/** True when every host holding the volume is connected again (or gone for good). */
function hostsBack(store: Store, dispatcher: Dispatcher, v: Row<VolumeFields>): boolean {
  return v.data.hostIds.every((h) => {
    const host = store.getByPublicId("host", h);
    return !host || host.state === "removed" || dispatcher.isConnected(h);
  });
}
