import type { HostState, PortBinding } from "@corral/api";
import type { Controller } from "@corral/lib";
import {
  dockerEventsInput,
  hostStateInput,
  isLifecycleEvent,
  waitingForHostState,
} from "../controller-inputs.ts";
import type { HostContext } from "../host-context.ts";
import { PortsController } from "./ports-controller.ts";

/** The ports controller, with what observations need from it. */
export interface PortsHostController extends Controller {
  /** The ports a managed container publishes here (random ones settled); undefined when none. */
  publishedPorts(containerId: string): PortBinding[] | undefined;
}

/**
 * What a ports pass reads of a view (see PortsController.requests): the network, the port range and
 * this host's containers that publish ports. A container created without ports changes none of it.
 */
export function portsPart(state: HostState): unknown {
  const publishing = state.containers
    .filter((c) => c.hostId === state.hostId && c.ports.length > 0)
    .map((c) => [c.id, c.ports, c.ip, c.state]);
  return [state.hostId, state.network, state.portRange, publishing];
}

/** Options of the ports controller. */
export interface PortsControllerOptions {
  /** Time between reconciles when nothing happens (default 5 s): a chain flushed by hand comes back. */
  intervalMs?: number;
}

/**
 * The ports controller: publishes managed containers' ports with Corral's own iptables chains (see
 * PortsController). It reconciles on each view, whenever a container starts, stops or goes (its
 * rules follow what Docker runs, not only the server's view), and every interval.
 */
export function createPortsController(
  host: Pick<HostContext, "bus" | "events" | "driver" | "logger" | "network" | "iptables">,
  options: PortsControllerOptions = {},
): PortsHostController {
  const intervalMs = options.intervalMs ?? 5_000;
  const ports = new PortsController({
    iptables: host.iptables,
    logger: host.logger.child("ports"),
    prefix: host.network.chainPrefix,
    bridgeInterface: host.network.bridgeInterface,
    serviceAddress: host.network.serviceAddress,
    observe: () => host.driver.list(),
  });
  return {
    name: "ports",
    inputs: [hostStateInput(host.bus, portsPart), dockerEventsInput(host.events, isLifecycleEvent)],
    intervalMs,
    retry: { baseMs: 500, maxMs: intervalMs },
    async reconcile() {
      const state = host.bus.current;
      if (!state) return waitingForHostState;
      const { assignments } = await ports.pass(state);
      return { message: `${assignments.length} published port${assignments.length === 1 ? "" : "s"}` };
    },
    publishedPorts: (containerId) => ports.publishedPorts(containerId),
  };
}
