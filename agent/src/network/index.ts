import type { PortBinding } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { DockerDriver } from "../driver.ts";
import type { HostStateBus } from "../host-state-bus.ts";
import { createIptables, type Iptables } from "../ports/iptables.ts";
import { PortsController } from "../ports/ports-controller.ts";
import { defaultManagedNetworkConfig, type ManagedNetworkConfig } from "./config.ts";
import { createNetworkBackend, type NetworkBackend } from "./network-backend.ts";
import { NetworkController } from "./network-controller.ts";
import { startReconcileLoop } from "./reconcile-loop.ts";
import { runServiceListeners } from "./service-listeners.ts";

export {
  defaultManagedNetworkConfig,
  defaultManagedNetworkName,
  type ManagedNetworkConfig,
} from "./config.ts";

/** Inputs of the host's network controllers. */
export interface NetworkControllersOptions {
  /** The server's network views. */
  bus: HostStateBus;
  /** What Docker runs here (the plain driver, not one wrapped with published ports). */
  driver: DockerDriver;
  logger: Logger;
  /** Stops every controller. */
  signal: AbortSignal;
  /** Docker socket for network operations (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** Overrides of host-side names (tests use their own bridge and chain prefix). */
  config?: Partial<ManagedNetworkConfig>;
  /** Replacements for the real programs (tests). */
  iptables?: Iptables;
  network?: NetworkBackend;
  /** Time between passes when nothing happens (default 5 s). */
  intervalMs?: number;
  /** Run the DNS server and metadata service on the service address (default true). */
  serviceListeners?: boolean;
}

/** The running controllers. */
export interface NetworkControllers {
  /** Asks every controller for a pass now (Docker started or removed a container). */
  kick(): void;
  /** The ports the port controller publishes for a managed container (for observations). */
  publishedPorts(containerId: string): PortBinding[] | undefined;
  /** Resolves when every controller stopped. */
  stopped: Promise<void>;
}

/**
 * Starts the controllers that make this host's network match the server's view: the managed
 * bridge (network) and the published ports (ports). Each has its own loop and owns its own piece
 * of host state. DNS, metadata and load balancers start here as well, next to these.
 */
export function startNetworkControllers(options: NetworkControllersOptions): NetworkControllers {
  const config = { ...defaultManagedNetworkConfig, ...options.config };
  const { bus, signal, logger } = options;
  const common = { bus, signal, ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }) };
  const network = new NetworkController({
    backend: options.network ?? createNetworkBackend(options.dockerSocket),
    logger: logger.child("network"),
    bridgeInterface: config.bridgeInterface,
    serviceAddress: config.serviceAddress,
  });
  const ports = new PortsController({
    iptables: options.iptables ?? createIptables(),
    logger: logger.child("ports"),
    prefix: config.chainPrefix,
    bridgeInterface: config.bridgeInterface,
    serviceAddress: config.serviceAddress,
    observe: () => options.driver.list(),
  });
  const loops = [
    startReconcileLoop({ ...common, logger: logger.child("network"), pass: (s) => network.pass(s) }),
    startReconcileLoop({ ...common, logger: logger.child("ports"), pass: (s) => ports.pass(s) }),
  ];
  // DNS and metadata answer on the service address the network controller provides.
  const listeners =
    options.serviceListeners === false
      ? Promise.resolve()
      : runServiceListeners({ bus, logger, signal, address: config.serviceAddress });
  return {
    kick: () => {
      for (const loop of loops) loop.kick();
    },
    publishedPorts: (containerId) => ports.publishedPorts(containerId),
    stopped: Promise.all([...loops.map((loop) => loop.stopped), listeners]).then(() => undefined),
  };
}
