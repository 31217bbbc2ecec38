import type { HostState } from "@corral/api";
import type { Logger } from "@corral/lib";
import { canonicalCidr } from "./cidr.ts";
import type { NetworkBackend } from "./network-backend.ts";

/** Inputs of the network controller. */
export interface NetworkControllerOptions {
  backend: NetworkBackend;
  logger: Logger;
  /** Interface the bridge gets when the controller creates it (corral0). */
  bridgeInterface: string;
  /** The address DNS and metadata listen on, added to the bridge as a /32. */
  serviceAddress: string;
}

/** What one pass found or did. */
export interface NetworkPassResult {
  /** The bridge interface in use, or null while there is no managed network. */
  bridgeInterface: string | null;
  /** "created", "recreated" or "kept". */
  network: "created" | "recreated" | "kept" | "none";
  /** True when the service address had to be added. */
  addressAdded: boolean;
}

/**
 * Keeps this host's managed network as the server describes it: a Docker bridge network on the
 * host's slice, the DNS/metadata address on its bridge, and the bridge settings published ports
 * need. A network on another subnet is recreated only when no container uses it: taking a
 * network from under running containers would cut them off, so the old one is kept (and logged)
 * until they are gone.
 */
export class NetworkController {
  private warnedBusy = false;

  constructor(private readonly options: NetworkControllerOptions) {}

  /** One pass over the whole desired state. */
  async pass(state: HostState): Promise<NetworkPassResult> {
    const { backend, logger } = this.options;
    const net = state.network;
    if (!net) return { bridgeInterface: null, network: "none", addressAdded: false };
    const spec = {
      subnet: canonicalCidr(net.hostSubnet) ?? net.hostSubnet,
      gateway: net.gateway,
      mtu: net.mtu,
      bridgeInterface: this.options.bridgeInterface,
    };
    let current = await backend.inspectNetwork(net.bridgeName);
    let outcome: NetworkPassResult["network"] = "kept";
    if (current && current.subnet !== spec.subnet) {
      if (current.containers === 0) {
        logger.info("managed network moved to another subnet; recreating it", {
          name: net.bridgeName,
          from: current.subnet,
          to: spec.subnet,
        });
        await backend.removeNetwork(net.bridgeName);
        current = null;
        outcome = "recreated";
      } else if (!this.warnedBusy) {
        this.warnedBusy = true;
        logger.warn("managed network is on another subnet but still in use; keeping it", {
          name: net.bridgeName,
          subnet: current.subnet,
          wanted: spec.subnet,
          containers: current.containers,
        });
      }
    } else this.warnedBusy = false;
    if (!current) {
      await backend.createNetwork(net.bridgeName, spec);
      if (outcome === "kept") outcome = "created";
      logger.info("managed network created", { name: net.bridgeName, subnet: spec.subnet });
    }
    // A network made by someone else may name its bridge differently: work on the one it has.
    const iface = current?.bridgeInterface ?? spec.bridgeInterface;
    const address = `${this.options.serviceAddress}/32`;
    // Docker drops foreign addresses when it sets a bridge up again (daemon restart, recreation):
    // every pass checks, so the address is back within one interval.
    const addressAdded = !(await backend.interfaceAddresses(iface)).includes(address);
    if (addressAdded) await backend.addAddress(iface, address);
    await backend.prepareBridge(iface);
    return { bridgeInterface: iface, network: outcome, addressAdded };
  }
}
