import type { Logger } from "@corral/lib";
import { Backoff, sleep } from "@corral/lib";
import { startDnsServer } from "../dns/index.ts";
import type { HostStateBus } from "../host-state-bus.ts";
import { startMetadataServer } from "../metadata/index.ts";

/** Inputs of the service-address listeners. */
export interface ServiceListenersOptions {
  bus: HostStateBus;
  logger: Logger;
  signal: AbortSignal;
  /** The link-local service address (169.254.169.250) the network controller puts on the bridge. */
  address: string;
  dnsPort?: number;
  metadataPort?: number;
}

/**
 * Runs the DNS server and the metadata service on the service address. The address exists only
 * once the network controller has put it on the bridge (after the first host state), and Docker
 * can take it away for a moment when it resets the bridge: each listener is started, and started
 * again, until it binds, and both are stopped with the agent.
 */
export async function runServiceListeners(options: ServiceListenersOptions): Promise<void> {
  const { bus, logger, signal, address } = options;
  const start = [
    {
      name: "dns",
      run: () => startDnsServer({ bus, logger: logger.child("dns"), address, port: options.dnsPort ?? 53 }),
    },
    {
      name: "metadata",
      run: () =>
        startMetadataServer({
          bus,
          logger: logger.child("metadata"),
          address,
          port: options.metadataPort ?? 80,
        }),
    },
  ];
  await Promise.all(
    start.map(async ({ name, run }) => {
      const backoff = new Backoff(500, 10_000);
      let warned = false;
      while (!signal.aborted) {
        try {
          const server = await run();
          logger.info(`${name} listening`, { address, port: server.port });
          await new Promise<void>((resolve) =>
            signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          await server.stop();
          return;
        } catch (e) {
          // Until the bridge has the address, binding fails: expected at start, worth one line.
          if (!warned) logger.info(`${name} waiting for ${address}`, { error: e });
          warned = true;
          await sleep(backoff.next(), signal);
        }
      }
    }),
  );
}
