import { formatId, type LaunchConfig } from "@corral/api";
import { AppError } from "@corral/lib";
import { summarizeReasons } from "../scheduler/index.ts";
import { bindPorts } from "../services/container-spec.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Store } from "../store/store.ts";
import { membersRequest, portIpOf, schedHosts } from "./placement.ts";
import { ProjectView } from "./project-view.ts";

/** Where a standalone container goes, and its ports as it will publish them there. */
export interface ContainerPlace {
  hostId: string;
  ports: string[];
}

/**
 * Places a standalone container exactly as a service unit of one is placed: the project's scheduler
 * sees every container already on its hosts (service or not) and checks the launch config's
 * affinity labels, its ports per host IP and its reservations; `requestedHostId` pins it and, as in
 * Rancher, skips the affinity rules. Runs inside the creating transaction, so the insert commits
 * against exactly what was checked.
 *
 * Refused with InvalidState when no host can take work now (nothing about the request is wrong),
 * and with InvalidOption, naming every host's first failed rule, when hosts can but none fits.
 */
export function placeContainer(
  store: Store,
  dispatcher: Dispatcher,
  projectId: string,
  lc: LaunchConfig,
  options: { name?: string; requestedHostId?: string },
): ContainerPlace {
  const view = new ProjectView(store, dispatcher, projectId);
  const sched = view.sched();
  const requested = options.requestedHostId;
  if (requested) {
    const host = view.hostById.get(requested);
    if (!host) {
      throw new AppError("InvalidReference", `requestedHostId: host ${requested} not found`, {
        detail: { field: "requestedHostId" },
      });
    }
    if (host.state !== "active") throw new AppError("InvalidState", `host ${requested} is ${host.state}`);
    // Work pinned to a host whose agent is away waits for it: the create is sent when it is back.
    sched.upsertHost({ ...schedHosts([host], dispatcher, store)[0]!, agentConnected: true });
  } else if (!view.hosts.some((h) => view.hostReady(formatId("host", h.id)))) {
    throw new AppError("InvalidState", "no active host with a connected agent in this environment");
  }
  const request = membersRequest([lc], { name: options.name ?? "", requestedHostId: requested });
  const placed = sched.place(request);
  if (placed.hostId === null) {
    throw new AppError("InvalidOption", summarizeReasons(placed.reasons), {
      detail: { reasons: placed.reasons },
    });
  }
  return { hostId: placed.hostId, ports: bindPorts(lc.ports, portIpOf(request, placed.bindings)) };
}
