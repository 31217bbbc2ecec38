import { formatId, type LaunchConfig, parseId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import type { ServiceFields, UnitMembership } from "../model/service.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { presentContainerStates } from "./container-spec.ts";

/**
 * `volumes_from` (`dataVolumesFrom`) resolved to the containers of one environment.
 *
 * Docker looks a `VolumesFrom` name up among every container of the host, whatever environment or
 * stack made it: a raw name could mount another tenant's volumes (bind mounts included). So no
 * entry is passed to Docker as written. A service's entry names a service of its own stack
 * (compose `volumes_from: [db]`), or a container of its environment; a standalone container's
 * entry names a container of its environment. Each is resolved, on the host the container was
 * placed on, to the Docker id of one container of this environment (a name only while the
 * container has no id yet); what does not resolve there is refused with the reason.
 */

/** Live containers of an environment that a reference names: by id, name, Docker name or Docker id. */
export function ownContainersNamed(store: Store, projectId: string, ref: string): Row<ContainerFields>[] {
  const rowId = parseId("container", ref);
  return store
    .all<ContainerFields>("container", { projectId, state: [...presentContainerStates, "removing"] })
    .filter(
      (c) =>
        c.id === rowId ||
        c.name === ref ||
        c.data.dockerName === ref ||
        (c.data.externalId !== null && ref.length >= 12 && c.data.externalId.startsWith(ref)),
    );
}

/** What Docker is given for a container: its id when known (unique), else the name it was made with. */
function dockerRef(c: Row<ContainerFields>): string {
  return c.data.externalId ?? c.data.dockerName ?? c.name ?? "";
}

/** The live service of a stack called `name`, if any. */
function stackService(
  store: Store,
  projectId: string,
  stackId: string,
  name: string,
): Row<ServiceFields> | undefined {
  return store
    .all<ServiceFields>("service", { projectId })
    .find((s) => s.name === name && s.data.stackId === stackId && s.state !== "removed");
}

/** The reference fields of a launch config, each with its index, for messages. */
function refsOf(lc: LaunchConfig, at: string): [string, string][] {
  return lc.dataVolumesFrom.map((x, i) => [`${at}dataVolumesFrom[${i}]`, x]);
}

function refused(field: string, ref: string, message: string): AppError {
  return new AppError("InvalidReference", `${field}: ${message}`, {
    detail: [{ field, value: ref, rancherCode: "InvalidReference" }],
  });
}

/**
 * Checks, when a service is made or upgraded, that each `dataVolumesFrom` entry names a service of
 * the same stack (live, or among `siblings`, the services made with it) or a container of the
 * environment: nothing else can ever resolve, so it is refused at once (422).
 */
export function assertServiceVolumesFrom(
  store: Store,
  projectId: string,
  stackId: string,
  lc: LaunchConfig,
  at: string,
  siblings: readonly string[] = [],
): void {
  for (const [field, ref] of refsOf(lc, at)) {
    if (siblings.includes(ref) || stackService(store, projectId, stackId, ref)) continue;
    if (ownContainersNamed(store, projectId, ref).length > 0) continue;
    throw refused(field, ref, `no service ${ref} in this stack and no container ${ref} in this environment`);
  }
}

/** The labels that make the scheduler put a unit next to what its members mount volumes from. */
export function volumesFromAffinity(
  store: Store,
  projectId: string,
  stackId: string,
  stackName: string,
  configs: LaunchConfig[],
): Record<string, string> {
  const services: string[] = [];
  const containers: string[] = [];
  for (const lc of configs)
    for (const ref of lc.dataVolumesFrom) {
      if (stackService(store, projectId, stackId, ref))
        services.push(`io.rancher.stack_service.name=${stackName}/${ref}`);
      else {
        const c = ownContainersNamed(store, projectId, ref)[0];
        if (c?.name) containers.push(c.name);
      }
    }
  const out: Record<string, string> = {};
  if (services.length) out["io.rancher.scheduler.affinity:container_label"] = services.join(",");
  if (containers.length) out["io.rancher.scheduler.affinity:container"] = containers.join(",");
  return out;
}

/** Orders candidates: running ones first, then the lowest create index (the oldest unit). */
function preferred(a: Row<ContainerFields>, b: Row<ContainerFields>): number {
  const running = Number(b.state === "running") - Number(a.state === "running");
  if (running !== 0) return running;
  const ia = (a.data as Partial<UnitMembership>).createIndex ?? 0;
  const ib = (b.data as Partial<UnitMembership>).createIndex ?? 0;
  return ia - ib || a.id - b.id;
}

/**
 * The Docker references of a service container's `dataVolumesFrom`, on the host it was placed on:
 * a service of the stack gives the primary container of one of its units on that host; otherwise
 * a container of the environment on that host. Throws (InvalidReference) naming what is missing.
 */
export function resolveServiceVolumesFrom(
  store: Store,
  projectId: string,
  stackId: string,
  hostId: string,
  lc: LaunchConfig,
): string[] {
  const out: string[] = [];
  for (const [field, ref] of refsOf(lc, "")) {
    const svc = stackService(store, projectId, stackId, ref);
    if (svc) {
      const serviceId = formatId("service", svc.id);
      const [found] = store
        .all<ContainerFields>("container", { projectId, dataField: ["serviceId", serviceId] })
        .filter(
          (c) =>
            c.data.hostId === hostId &&
            presentContainerStates.includes(c.state) &&
            ((c.data as Partial<UnitMembership>).launchConfigName ?? "") === "",
        )
        .sort(preferred);
      if (!found) throw refused(field, ref, `service ${ref} has no container on host ${hostId} yet`);
      out.push(dockerRef(found));
      continue;
    }
    out.push(ownContainerOnHost(store, projectId, hostId, field, ref));
  }
  return out;
}

/** The Docker references of a standalone container's `dataVolumesFrom`, on the host it was placed on. */
export function resolveContainerVolumesFrom(
  store: Store,
  projectId: string,
  hostId: string,
  lc: LaunchConfig,
): string[] {
  return refsOf(lc, "").map(([field, ref]) => ownContainerOnHost(store, projectId, hostId, field, ref));
}

function ownContainerOnHost(
  store: Store,
  projectId: string,
  hostId: string,
  field: string,
  ref: string,
): string {
  const named = ownContainersNamed(store, projectId, ref);
  if (named.length === 0) throw refused(field, ref, `no container ${ref} in this environment`);
  const here = named.filter((c) => c.data.hostId === hostId).sort(preferred)[0];
  if (!here)
    throw refused(
      field,
      ref,
      `container ${ref} runs on host ${named[0]?.data.hostId ?? "(none)"}, not ${hostId}`,
    );
  return dockerRef(here);
}
