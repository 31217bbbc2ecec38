import type { Controller } from "@corral/lib";
import { hostStateInput, waitingForHostState } from "./controller-inputs.ts";
import type { HostContext } from "./host-context.ts";

/** A server listening on the service address. */
export interface ServiceListener {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A controller that keeps one server (DNS, metadata) listening on the service address. The address
 * exists only once the network controller has put it on the bridge, after the server's first view:
 * until then binding fails, and the runner tries again with backoff. Once bound, the server follows
 * the views itself (its answers are rebuilt from each one); the runner closes it when the agent stops.
 */
export function serviceListenerController(
  host: Pick<HostContext, "bus" | "network">,
  name: string,
  listen: () => Promise<ServiceListener>,
): Controller {
  let server: ServiceListener | null = null;
  return {
    name,
    inputs: [hostStateInput(host.bus)],
    retry: { baseMs: 500, maxMs: 10_000 },
    async reconcile() {
      if (!host.bus.current) return waitingForHostState;
      server ??= await listen();
      return { message: `listening on ${host.network.serviceAddress}:${server.port}` };
    },
    async close() {
      await server?.stop();
      server = null;
    },
  };
}
