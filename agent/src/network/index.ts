import type { Controller } from "@corral/lib";
import {
  dockerEventsInput,
  hostStateInput,
  isLifecycleEvent,
  waitingForHostState,
} from "../controller-inputs.ts";
import type { HostContext } from "../host-context.ts";
import { createNetworkBackend, type NetworkBackend } from "./network-backend.ts";
import { NetworkController } from "./network-controller.ts";

export {
  defaultManagedNetworkConfig,
  defaultManagedNetworkName,
  type ManagedNetworkConfig,
} from "./config.ts";

/** Options of the network controller. */
export interface NetworkControllerOptions {
  /** A replacement for the real Docker networks and interfaces (tests). */
  backend?: NetworkBackend;
  /** Time between reconciles when nothing happens (default 5 s). */
  intervalMs?: number;
}

/**
 * The network controller: keeps the managed bridge as the server's view describes it (see
 * NetworkController). It reconciles on each view, when containers start or go (a network on an old
 * subnet is recreated once no container uses it), and every interval, since Docker drops the
 * service address when it sets the bridge up again.
 */
export function createNetworkController(
  host: Pick<HostContext, "bus" | "events" | "logger" | "network" | "dockerSocket">,
  options: NetworkControllerOptions = {},
): Controller {
  const intervalMs = options.intervalMs ?? 5_000;
  const network = new NetworkController({
    backend: options.backend ?? createNetworkBackend(host.dockerSocket),
    logger: host.logger.child("network"),
    bridgeInterface: host.network.bridgeInterface,
    serviceAddress: host.network.serviceAddress,
  });
  return {
    name: "network",
    // A pass reads only the network part of the view (see NetworkController.pass).
    inputs: [hostStateInput(host.bus, (s) => s.network), dockerEventsInput(host.events, isLifecycleEvent)],
    intervalMs,
    // A failure is retried sooner than the regular interval would.
    retry: { baseMs: 500, maxMs: intervalMs },
    async reconcile() {
      const state = host.bus.current;
      if (!state) return waitingForHostState;
      const result = await network.pass(state);
      if (!result.bridgeInterface) return { message: "no managed network on this host" };
      return { message: `bridge ${result.bridgeInterface} ${result.network}` };
    },
  };
}
