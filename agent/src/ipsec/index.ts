import type { IpsecReport } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { HostStateBus } from "../host-state-bus.ts";
import { startReconcileLoop } from "../network/reconcile-loop.ts";
import { createIptables, type Iptables } from "../ports/iptables.ts";
import { IpsecController } from "./controller.ts";
import { createIpsecRuntime, type IpsecRuntime } from "./runtime.ts";

export { IpsecController } from "./controller.ts";
export { ipsecContainerName, ipsecImage } from "./runtime.ts";

/** Inputs of the IPsec controller's loop. */
export interface IpsecOptions {
  bus: HostStateBus;
  logger: Logger;
  signal: AbortSignal;
  /** Docker socket of the host (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** Replacements for the real programs (tests). */
  runtime?: IpsecRuntime;
  iptables?: Iptables;
  /**
   * Time between passes (default 1.5 s): each pass reads charon's SAs and starts what is down, so
   * this bounds how long a dropped tunnel waits before it is rebuilt.
   */
  intervalMs?: number;
}

/** The running IPsec controller. */
export interface IpsecHandle {
  /** The tunnels' status for hello and pings (undefined while IPsec is off here). */
  report(): IpsecReport | undefined;
  /** Resolves when the loop stopped. */
  stopped: Promise<void>;
}

/**
 * Starts the controller that keeps this host's IPsec tunnels (see IpsecController) on its own
 * loop, next to the network controllers. The daemon's container outlives the agent: tunnels keep
 * carrying traffic while the agent restarts.
 */
export function startIpsecController(options: IpsecOptions): IpsecHandle {
  const logger = options.logger.child("ipsec");
  const controller = new IpsecController({
    runtime: options.runtime ?? createIpsecRuntime(options.dockerSocket),
    iptables: options.iptables ?? createIptables(),
    logger,
  });
  const loop = startReconcileLoop({
    bus: options.bus,
    logger,
    signal: options.signal,
    intervalMs: options.intervalMs ?? 1_500,
    pass: async (state) => {
      try {
        return await controller.pass(state);
      } catch (e) {
        controller.fail(state, e);
        throw e;
      }
    },
  });
  return { report: () => controller.report(), stopped: loop.stopped };
}
