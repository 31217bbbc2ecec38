import type { IpsecReport } from "@corral/api";
import type { Controller, ReconcileResult } from "@corral/lib";
import { hostStateInput, waitingForHostState } from "../controller-inputs.ts";
import type { HostContext } from "../host-context.ts";
import { IpsecController } from "./controller.ts";
import { createIpsecRuntime, type IpsecRuntime } from "./runtime.ts";

export { IpsecController } from "./controller.ts";
export { ipsecContainerName, ipsecImage } from "./runtime.ts";

/** Options of the IPsec controller. */
export interface IpsecControllerOptions {
  /** A replacement for the strongSwan container (tests). */
  runtime?: IpsecRuntime;
  /**
   * Time between reconciles (default 1.5 s): each reads charon's SAs and starts what is down, so
   * this bounds how long a dropped tunnel waits before it is rebuilt.
   */
  intervalMs?: number;
}

/** The IPsec controller, with the tunnels' report pings and hello carry. */
export interface IpsecHostController extends Controller {
  /** The tunnels' status (undefined while IPsec is off here). */
  report(): IpsecReport | undefined;
}

/** A one-line summary of a report for the host status record. */
function summary(report: IpsecReport | undefined): ReconcileResult {
  if (!report) return { message: "ipsec is off for this host" };
  if (report.error) return { state: "degraded", message: report.error };
  const up = report.peers.filter((p) => p.state === "up").length;
  const message = `${report.dataPlane} data plane, ${up} of ${report.peers.length} tunnels up`;
  return up < report.peers.length ? { state: "degraded", message } : { message };
}

/**
 * The IPsec controller: keeps this host's tunnels as the server's view describes them (see
 * IpsecController). The daemon's container outlives the agent: tunnels keep carrying traffic while
 * the agent restarts.
 */
export function createIpsecController(
  host: Pick<HostContext, "bus" | "logger" | "iptables" | "dockerSocket">,
  options: IpsecControllerOptions = {},
): IpsecHostController {
  const intervalMs = options.intervalMs ?? 1_500;
  const controller = new IpsecController({
    runtime: options.runtime ?? createIpsecRuntime(host.dockerSocket),
    iptables: host.iptables,
    logger: host.logger.child("ipsec"),
  });
  return {
    name: "ipsec",
    // A pass reads only these (see IpsecController.pass): container changes do not kick it.
    inputs: [hostStateInput(host.bus, (s) => [s.hostId, s.network, s.ipsec])],
    intervalMs,
    retry: { baseMs: 500, maxMs: intervalMs },
    async reconcile() {
      const state = host.bus.current;
      if (!state) return waitingForHostState;
      try {
        return summary(await controller.pass(state));
      } catch (e) {
        // Pings say why every tunnel is down; the runner retries.
        controller.fail(state, e);
        throw e;
      }
    },
    report: () => controller.report(),
  };
}
