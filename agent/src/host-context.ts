import type { AgentFrame } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { DockerEvents } from "./docker-events.ts";
import type { DockerDriver } from "./driver.ts";
import type { HostStateBus } from "./host-state-bus.ts";
import type { ManagedNetworkConfig } from "./network/config.ts";
import type { Iptables } from "./ports/iptables.ts";

/**
 * What the agent hands every host controller: where the server's views and Docker's events
 * arrive, the engine, and the host-side names. Each controller's factory takes only the parts it
 * uses (a `Pick` of this), so a test builds no more than that.
 */
export interface HostContext {
  /** The server's network views. */
  bus: HostStateBus;
  /** The agent's one Docker event stream. */
  events: DockerEvents;
  /** What Docker runs here (the plain driver: no published ports filled into observations). */
  driver: DockerDriver;
  /** The agent's logger; each controller logs under its own name below it. */
  logger: Logger;
  /** Host-side names: the bridge interface, the chain prefix, the service address. */
  network: ManagedNetworkConfig;
  /** iptables, shared by the controllers that own chains (ports, ipsec), each only its own. */
  iptables: Iptables;
  /** Sends one frame to the server; dropped while disconnected (the next session catches up). */
  send: (frame: AgentFrame) => void;
  /** Docker socket for what goes around the driver (networks, the IPsec container); default /var/run/docker.sock. */
  dockerSocket?: string;
}
