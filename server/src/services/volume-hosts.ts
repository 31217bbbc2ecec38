import { namedVolumeOf } from "../compose/volumes.ts";
import type { ContainerFields } from "../model/container.ts";
import type { VolumeFields } from "../model/volume.ts";
import type { RowChange, Store } from "../store/store.ts";

/** Container states in which its named volumes exist on its host. */
const placedStates = new Set(["starting", "running", "stopping", "stopped", "restarting"]);

/**
 * Keeps each volume's `hostIds` true as containers mount it: a stack's own and external volumes are
 * made by the engine when a container first mounts them, so the hosts that hold one are those its
 * containers ran on (Docker keeps a volume after its containers go, until the volume is removed).
 * Listens to committed container changes and writes in a transaction of its own, after them.
 */
export function trackVolumeHosts(store: Store): () => void {
  const queued = new Map<string, { projectId: string; hostId: string; names: Set<string> }>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const work = [...queued.values()];
    queued.clear();
    try {
      store.transaction(() => {
        for (const w of work) {
          for (const v of store.all<VolumeFields>("volume", {
            projectId: w.projectId,
            state: ["active", "creating", "error"],
          })) {
            if (!w.names.has(v.name ?? "") || v.data.hostIds.includes(w.hostId)) continue;
            store.update<VolumeFields>(v.id, { data: { hostIds: [...v.data.hostIds, w.hostId] } });
          }
        }
      });
    } catch {
      // The store may be closing with the server: the next container change brings it up to date.
    }
  };
  return store.onChange((change: RowChange) => {
    const { row, previous } = change;
    if (row.type !== "container" || !row.projectId || !placedStates.has(row.state)) return;
    const data = row.data as ContainerFields;
    const was = previous?.data as ContainerFields | undefined;
    if (!data.hostId || (previous && placedStates.has(previous.state) && was?.hostId === data.hostId)) return;
    // A per-container volume is `<name>_<container>`, tracked with its container (container-volumes.ts).
    const own = (n: string) => Boolean(data.volumeTemplates?.[n]?.perContainer);
    const names = (data.dataVolumes ?? [])
      .map((v) => namedVolumeOf(v)?.name)
      .filter((n): n is string => !!n && !own(n));
    if (names.length === 0) return;
    const key = `${row.projectId} ${data.hostId}`;
    const entry = queued.get(key) ?? {
      projectId: row.projectId,
      hostId: data.hostId,
      names: new Set<string>(),
    };
    for (const n of names) entry.names.add(n);
    queued.set(key, entry);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  });
}
