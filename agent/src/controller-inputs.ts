import type { ControllerInput, ReconcileResult } from "@corral/lib";
import type { DockerEvents } from "./docker-events.ts";
import type { EngineEvent } from "./driver.ts";
import type { HostStateBus } from "./host-state-bus.ts";

/** The server's network views: every new view kicks. */
export function hostStateInput(bus: HostStateBus): ControllerInput {
  return { name: "host state", watch: (kick) => bus.subscribe(() => kick()) };
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
