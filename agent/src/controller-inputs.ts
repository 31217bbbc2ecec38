import type { HostState } from "@corral/api";
import type { ControllerInput, ReconcileResult } from "@corral/lib";
import type { DockerEvents } from "./docker-events.ts";
import type { EngineEvent } from "./driver.ts";
import type { HostStateBus } from "./host-state-bus.ts";

/**
 * The server's network views. Without `reads`, every new view kicks. With it, a view kicks only
 * when the part `reads` picks out of it differs from the last view's: the server sends a new view
 * for every container change in the environment, and a controller whose part did not change
 * (the IPsec mesh when a container is created, say) would spend a pass of iptables and docker exec
 * calls for nothing, beside the Docker work that change started. Such a controller keeps its
 * interval and its other inputs, so it still notices drift on the host.
 */
export function hostStateInput(bus: HostStateBus, reads?: (state: HostState) => unknown): ControllerInput {
  return {
    name: "host state",
    watch: (kick) => {
      let last: string | undefined;
      return bus.subscribe((state) => {
        if (reads) {
          const part = JSON.stringify(reads(state)) ?? "undefined";
          if (part === last) return;
          last = part;
        }
        kick();
      });
    },
  };
}

/** Docker events the filter wants kick; the rest (execs, archive copies) do not. */
export function dockerEventsInput(
  events: DockerEvents,
  wanted: (event: EngineEvent) => boolean,
): ControllerInput {
  return {
    name: "docker events",
    watch: (kick) =>
      events.subscribe((event) => {
        if (wanted(event)) kick();
      }),
  };
}

/** Actions after which a container runs where it did not, or no longer runs. */
const lifecycleActions = new Set(["start", "die", "destroy", "pause", "unpause"]);

/**
 * True for events that change which containers run: what rules, bridge ports and configs there
 * must be. Execs and file copies (the load balancer installs configs with both) are not, so they
 * cost no reconcile.
 */
export function isLifecycleEvent(event: EngineEvent): boolean {
  return lifecycleActions.has(event.action);
}

/** What controllers that work from the server's view report before the first one arrived. */
export const waitingForHostState: ReconcileResult = {
  state: "waiting",
  message: "no host state from the server yet",
};
