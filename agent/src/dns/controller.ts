import type { Controller } from "@corral/lib";
import type { HostContext } from "../host-context.ts";
import { serviceListenerController } from "../service-listener.ts";
import { startDnsServer } from "./server.ts";

/** The DNS controller: rancher-dns's successor kept listening on the service address, port 53 (see startDnsServer). */
export function createDnsController(
  host: Pick<HostContext, "bus" | "logger" | "network">,
  options: { port?: number } = {},
): Controller {
  return serviceListenerController(host, "dns", () =>
    startDnsServer({
      bus: host.bus,
      logger: host.logger.child("dns"),
      address: host.network.serviceAddress,
      port: options.port ?? 53,
    }),
  );
}
