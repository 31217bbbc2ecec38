import { randomInt } from "node:crypto";
import type { LaunchConfig, StackSpec, VolumeTemplate } from "@corral/api";
import { createLogger } from "@corral/lib";
import { namedVolumeOf } from "../compose/volumes.ts";
import type { ContainerFields } from "../model/container.ts";
import type { StackFields } from "../model/service.ts";
import type { VolumeFields } from "../model/volume.ts";
import type { Store } from "../store/store.ts";
import type { VerbContext } from "./context.ts";
import { settleVolume } from "./volumes.ts";

const log = createLogger("server.stack-volumes");

/**
 * Stack-scoped volumes, as Rancher 1.6 made them: a top-level compose volume that is neither
 * `external` (environment-scoped: used under its own name, made by the user) nor `per_container`
 * (one per container, `<volume>_<container>`, already unique) belongs to its stack. Its Docker
 * name joins the stack name, the volume name and a random part (`<stack>_<volume>_<random>`), so
 * two stacks declaring `data` get two volumes; the stack lists it as a `volume` (with its stackId),
 * and removing the stack removes it. The launch configs keep the name the file gave (export writes
 * the file back); containers mount the Docker name. Per-container volumes have rows of their own,
 * one per container (container-volumes.ts); they carry the stackId too, so the stack's removal
 * removes any its containers' removals left.
 */

const randomChars = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomPart(): string {
  let out = "";
  for (let i = 0; i < 5; i++) out += randomChars[randomInt(randomChars.length)];
  return out;
}

/** True for a top-level volume the stack owns (see above). */
function stackScoped(v: StackSpec["volumes"][string]): boolean {
  return !v.external && !v.perContainer;
}

/**
 * The Docker names of a stack's own volumes: those `known` keep theirs (an upgrade or a rollback
 * mounts the same data), new ones get `<stack>_<volume>_<random>`.
 */
export function stackVolumeNames(
  stackName: string,
  volumes: StackSpec["volumes"],
  known: Record<string, string> = {},
): Record<string, string> {
  const out = { ...known };
  for (const [name, v] of Object.entries(volumes))
    if (stackScoped(v) && !Object.hasOwn(out, name)) out[name] = `${stackName}_${name}_${randomPart()}`;
  return out;
}

/** A launch config whose mounts of the stack's own volumes name their Docker volumes. */
export function withStackVolumes(lc: LaunchConfig, names: Record<string, string>): LaunchConfig {
  if (Object.keys(names).length === 0) return lc;
  const dockerName = (name: string) => (Object.hasOwn(names, name) ? names[name] : undefined);
  const dataVolumes = lc.dataVolumes.map((v) => {
    const named = namedVolumeOf(v);
    const to = named && dockerName(named.name);
    return to ? `${to}${v.slice(named.name.length)}` : v;
  });
  let volumeTemplates: Record<string, VolumeTemplate> | undefined;
  if (lc.volumeTemplates)
    volumeTemplates = Object.fromEntries(
      Object.entries(lc.volumeTemplates).map(([k, t]) => [dockerName(k) ?? k, t]),
    );
  return { ...lc, dataVolumes, ...(volumeTemplates ? { volumeTemplates } : {}) };
}

/**
 * Inserts the `volume` rows of a stack's own volumes not listed yet (inside the caller's
 * transaction). They are `active` at once: the engine makes a volume when a container first
 * mounts it, with the driver and options of its template.
 */
export function insertStackVolumes(
  store: Store,
  projectId: string,
  stackId: string,
  volumes: StackSpec["volumes"],
  names: Record<string, string>,
): void {
  const listed = new Set(
    store
      .all<VolumeFields>("volume", { projectId, dataField: ["stackId", stackId] })
      .filter((r) => r.state !== "removed")
      .map((r) => r.name),
  );
  insertExternalVolumes(store, projectId, volumes);
  for (const [name, dockerName] of Object.entries(names)) {
    const v = Object.hasOwn(volumes, name) ? volumes[name] : undefined;
    if (!v || listed.has(dockerName)) continue;
    store.insert<VolumeFields>("volume", {
      projectId,
      name: dockerName,
      state: "active",
      data: {
        description: `volume ${name} of the stack`,
        driver: v.driver,
        driverOpts: v.driverOpts,
        hostIds: [],
        stackId,
      },
    });
  }
}

/**
 * An `external: true` volume the environment does not list yet gets an environment volume row
 * (no stackId: no stack removes it), as Rancher 1.6 did: it need not exist before the stack, and
 * the engine makes it (local driver) when a container first mounts it.
 */
function insertExternalVolumes(store: Store, projectId: string, volumes: StackSpec["volumes"]): void {
  const external = Object.entries(volumes).filter(([, v]) => v.external);
  if (external.length === 0) return;
  const live = new Set(
    store
      .all<VolumeFields>("volume", { projectId, state: ["creating", "active", "removing", "error"] })
      .map((r) => r.name),
  );
  for (const [name] of external) {
    if (live.has(name)) continue;
    store.insert<VolumeFields>("volume", {
      projectId,
      name,
      state: "active",
      data: {
        description: "external volume, made on first use",
        driver: "local",
        driverOpts: {},
        hostIds: [],
      },
    });
    live.add(name);
  }
}

const liveContainerStates = [
  "creating",
  "starting",
  "running",
  "stopping",
  "stopped",
  "restarting",
  "error",
  "removing",
];

/**
 * After a stack is removed: once none of its containers is left (Docker keeps a volume in use),
 * removes its own volumes from the hosts and marks their rows removed. Gives up waiting after
 * `timeoutMs`, leaving the rows `removing` with the reason.
 */
export async function removeStackVolumes(
  ctx: VerbContext,
  stack: { projectId: string; stackId: string },
  timeoutMs = 10 * 60_000,
): Promise<void> {
  try {
    await removeWhenUnused(ctx, stack, timeoutMs);
  } catch (e) {
    // The server may stop meanwhile (its store closed): the rows stay `removing`, as they are.
    log.warn("stack volumes not removed", { stack: stack.stackId, error: (e as Error).message });
  }
}

async function removeWhenUnused(
  ctx: VerbContext,
  stack: { projectId: string; stackId: string },
  timeoutMs: number,
): Promise<void> {
  const rows = ctx.store
    .all<VolumeFields>("volume", { projectId: stack.projectId, dataField: ["stackId", stack.stackId] })
    .filter((r) => r.state !== "removed");
  if (rows.length === 0) return;
  ctx.store.transaction(() => {
    for (const r of rows) ctx.store.update(r.id, { state: "removing" });
  });
  const deadline = Date.now() + timeoutMs;
  const left = () =>
    ctx.store.all<ContainerFields>("container", {
      projectId: stack.projectId,
      dataField: ["stackId", stack.stackId],
      state: liveContainerStates,
    }).length;
  while (left() > 0) {
    if (Date.now() > deadline) {
      log.warn("stack volumes kept: containers of the stack are still there", { stack: stack.stackId });
      ctx.store.transaction(() => {
        for (const r of rows)
          ctx.store.update(r.id, {
            data: { transitioningMessage: "containers of the stack are still there" },
          });
      });
      return;
    }
    await Bun.sleep(500);
  }
  for (const r of rows) await settleVolume(ctx, r.id, "remove");
}

/** The Docker names of a stack's own volumes, as stored. */
export function namesOf(stack: { data: StackFields } | null | undefined): Record<string, string> {
  return stack?.data.volumeNames ?? {};
}
