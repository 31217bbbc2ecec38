import type { Controller } from "@corral/lib";
import type { HostContext } from "../host-context.ts";
import { serviceListenerController } from "../service-listener.ts";
import { startMetadataServer } from "./server.ts";

/** The metadata controller: rancher-metadata's successor kept listening on the service address, port 80. */
export function createMetadataController(
  host: Pick<HostContext, "bus" | "logger" | "network">,
  options: { port?: number } = {},
): Controller {
  return serviceListenerController(host, "metadata", () =>
    startMetadataServer({
      bus: host.bus,
      logger: host.logger.child("metadata"),
      address: host.network.serviceAddress,
      port: options.port ?? 80,
    }),
  );
}
