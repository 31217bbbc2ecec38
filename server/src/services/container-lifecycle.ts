import { type ContainerObservation, type EventReply, formatId } from "@corral/api";
import { createLogger } from "@corral/lib";
import { resolvePasswordRefs } from "../catalog/secret-services.ts";
import type { ContainerFields } from "../model/container.ts";
import { allocateAddress, markForeignAddress, requestedIpLabel } from "../network/allocation.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { endpointsOf, instanceSpec } from "./container-spec.ts";
import type { Dispatcher } from "./context.ts";
import { pullAuthFor, secretFilesFor, stackPasswordsFor } from "./pull-auth.ts";

const log = createLogger("containers");

/** Transitional container states and the agent event that completes each. */
export const transitions = {
  creating: "instance.create",
  starting: "instance.start",
  stopping: "instance.stop",
  restarting: "instance.restart",
  removing: "instance.remove",
} as const;

/** A transitional container state. */
export type TransitionState = keyof typeof transitions;

const inFlight = new Set<number>();

/**
 * Drives a container in a transitional state to its next stable state by asking its host's agent.
 * Runs after the verb's transaction committed (verbs queue it with `store.afterCommit`, and the hub
 * refuses to send inside an open transaction); a failure leaves the row in `error` with the reason,
 * and a host that is away leaves it transitioning until the agent comes back (see {@link resumeHost}).
 */
async function transitionOnce(store: Store, dispatcher: Dispatcher, rowId: number): Promise<void> {
  if (inFlight.has(rowId)) return;
  inFlight.add(rowId);
  let handled: string | null = null;
  let retry = false;
  try {
    handled = store.get(rowId)?.state ?? null;
    const row = store.get<ContainerFields>(rowId);
    if (!row || !(row.state in transitions) || !row.data.hostId) return;
    const state = row.state as TransitionState;
    if (state === "removing" && !hostExists(store, row.data.hostId)) {
      // The host is gone for good: nothing is left to remove on it.
      store.update(row.id, { state: "removed", removed: Date.now() }, ["removing"]);
      return;
    }
    if (!dispatcher.isConnected(row.data.hostId)) {
      store.update(row.id, { data: { transitioningMessage: "waiting for the host's agent to reconnect" } });
      return;
    }
    const id = formatId("container", row.id);
    try {
      const data = state === "creating" ? createData(store, id, row) : refData(id, row);
      const reply = await dispatcher.dispatch(
        row.data.hostId,
        transitions[state],
        data,
        state === "creating" ? 300_000 : 60_000,
      );
      settle(store, row, reply);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn("container transition failed", { id, state, error: message });
      const code = (e as { code?: string }).code;
      if (code === "Unavailable") {
        store.update(row.id, { data: { transitioningMessage: `waiting for the host: ${message}` } }, [state]);
        return;
      }
      if (state === "removing") {
        // The agent could not remove it: keep the record removable, with the reason.
        store.update(row.id, { state: "error", data: { transitioningMessage: message } }, [state]);
        return;
      }
      if (state === "creating" && row.data.managedIp && /address already in use/i.test(message)) {
        // Something outside this installation holds the address on that host: never offer it
        // again there, and try once more with another (unless the address was asked for).
        markForeignAddress(store, row.data.hostId, row.data.managedIp);
        const requested = row.data.labels[requestedIpLabel];
        const retries = row.data.addressRetries ?? 0;
        if (!requested && retries < 3) {
          // The half-made container keeps the refused address: remove it before trying again.
          await dispatcher
            .dispatch(row.data.hostId, "instance.remove", { containerId: id }, 60_000)
            .catch(() => undefined);
          retry = reallocate(store, row, retries + 1);
          if (retry) return;
        }
      }
      store.update(row.id, { state: "error", data: { transitioningMessage: message } }, [state]);
    }
  } finally {
    inFlight.delete(rowId);
    // Another action may have moved the row on while this one was in flight (remove during create).
    const now = store.get(rowId)?.state;
    if (retry || (now && now !== handled && now in transitions))
      store.afterCommit(() => completeTransition(store, dispatcher, rowId));
  }
}

/**
 * What `instance.create` carries: the spec, plus the registry credentials for its image and its
 * secret files, opened from the store for this one event to this one host and never kept in a row.
 * So are a catalog stack's password answers, which the row holds as `${VAR}` references.
 */
function createData(store: Store, id: string, row: Row<ContainerFields>) {
  const stackId = (row.data as { stackId?: string }).stackId;
  const fields = resolvePasswordRefs(row.data, stackPasswordsFor(store, stackId));
  const spec = instanceSpec(id, row.projectId!, row.name!, fields, store.getSetting("installId"));
  const pullAuth = pullAuthFor(store, row.projectId!, spec.image);
  const secrets = secretFilesFor(store, row.projectId!, row.data.secrets);
  return {
    spec,
    start: row.data.startOnCreate,
    ...(pullAuth ? { pullAuth } : {}),
    ...(secrets.length ? { secrets } : {}),
  };
}

function refData(id: string, row: Row<ContainerFields>) {
  return { containerId: id, dockerId: row.data.externalId ?? undefined, timeoutSec: 10 };
}

/** Gives a container that is still being created another managed address; false when none is free. */
function reallocate(store: Store, row: Row<ContainerFields>, attempt: number): boolean {
  try {
    const next = allocateAddress(store, row.projectId!, row.data.hostId!);
    return Boolean(
      store.update(
        row.id,
        {
          data: {
            ...next,
            primaryIpAddress: next.managedIp,
            addressRetries: attempt,
            transitioningMessage: "retrying with another address",
          },
        },
        ["creating"],
      ),
    );
  } catch {
    return false;
  }
}

/**
 * Drives one container to its next stable state (see transitionOnce). Callers start it and move on,
 * so it never rejects: a failure (the store closing under it when the server stops) is logged.
 */
export function completeTransition(store: Store, dispatcher: Dispatcher, rowId: number): Promise<void> {
  return transitionOnce(store, dispatcher, rowId).catch((e) =>
    log.warn("container transition stopped", { id: formatId("container", rowId), error: e }),
  );
}

function hostExists(store: Store, hostId: string): boolean {
  const host = store.getByPublicId("host", hostId);
  return Boolean(host && host.state !== "removed");
}

function settle(
  store: Store,
  row: Row<ContainerFields>,
  reply: EventReply<(typeof transitions)[TransitionState]>,
): void {
  // The row's state chose the event: removing sent instance.remove, whose reply says `removed`.
  if (row.state === "removing" || "removed" in reply) {
    store.update(row.id, { state: "removed", removed: Date.now(), data: { transitioningMessage: "" } }, [
      "removing",
    ]);
    return;
  }
  const obs = reply;
  const running = obs.state === "running" || obs.state === "restarting";
  const next = running ? "running" : "stopped";
  const startCount = row.data.startCount + (running && row.state !== "stopping" ? 1 : 0);
  store.update(
    row.id,
    {
      state: next,
      data: {
        externalId: obs.dockerId ?? row.data.externalId,
        // The address the server allocated on the managed network wins over what Docker reports.
        primaryIpAddress: row.data.managedIp ?? obs.ipAddress ?? row.data.primaryIpAddress,
        exitCode: obs.exitCode ?? null,
        startCount,
        // What the host reports wins; until it reports any, the ports assigned at creation stand.
        publicEndpoints: obs.ports?.length ? endpoints(obs) : row.data.publicEndpoints,
        transitioningMessage: "",
      },
    },
    [row.state],
  );
}

function endpoints(obs: Partial<ContainerObservation>): ContainerFields["publicEndpoints"] {
  return endpointsOf(obs.ports ?? []);
}

/** Restarts every unfinished transition of a host's containers, e.g. when its agent reconnects. */
export function resumeHost(store: Store, dispatcher: Dispatcher, hostId: string): void {
  const rows = store.all<ContainerFields>("container", {
    state: Object.keys(transitions),
    dataField: ["hostId", hostId],
  });
  for (const row of rows) store.afterCommit(() => completeTransition(store, dispatcher, row.id));
}

const stable = ["running", "stopped", "error"];
const snapshotGraceMs = 3000;

/**
 * Folds what an agent observed into the records: a container that died becomes `stopped`, one started
 * by Docker's restart policy becomes `running`. With `complete`, records whose container is gone
 * from the host become `error`. Only real changes are written.
 */
export function applyObservations(
  store: Store,
  hostId: string,
  observed: ContainerObservation[],
  complete: boolean,
): void {
  const rows = store.all<ContainerFields>("container", { state: stable, dataField: ["hostId", hostId] });
  const byId = new Map(observed.map((o) => [o.containerId, o]));
  const now = Date.now();
  store.transaction(() => {
    for (const row of rows) {
      // A ping's snapshot may predate an action that just finished; trust it only for rows that
      // have been still for a while. Docker events (complete=false) are current and always apply.
      if (complete && now - row.updated < snapshotGraceMs) continue;
      const obs = byId.get(formatId("container", row.id));
      if (!obs) {
        if (complete && row.data.externalId && row.state !== "error") {
          store.update(
            row.id,
            { state: "error", data: { transitioningMessage: "the container is gone from its host" } },
            [row.state],
          );
        }
        continue;
      }
      const running = obs.state === "running" || obs.state === "restarting" || obs.state === "paused";
      const next = running ? "running" : "stopped";
      const ip = row.data.managedIp ?? (obs.ipAddress || row.data.primaryIpAddress);
      if (
        next !== row.state ||
        ip !== row.data.primaryIpAddress ||
        (obs.dockerId && obs.dockerId !== row.data.externalId)
      ) {
        store.update(
          row.id,
          {
            state: next,
            data: {
              externalId: obs.dockerId,
              primaryIpAddress: ip,
              exitCode: running ? null : (obs.exitCode ?? row.data.exitCode),
              transitioningMessage: "",
              ...(obs.ports?.length ? { publicEndpoints: endpoints(obs) } : {}),
            },
          },
          [row.state],
        );
      }
    }
  });
}
