/** Host-side names of the managed network, shared by the network and port controllers. */
export interface ManagedNetworkConfig {
  /** Linux interface of the managed bridge (at most 15 characters). */
  bridgeInterface: string;
  /** Prefix of Corral's iptables chains: CORRAL-PREROUTING and so on. */
  chainPrefix: string;
  /** The link-local address DNS (:53) and metadata (:80) answer on for containers. */
  serviceAddress: string;
}

/** The names a production host uses. */
export const defaultManagedNetworkConfig: ManagedNetworkConfig = {
  bridgeInterface: "corral0",
  chainPrefix: "CORRAL",
  serviceAddress: "169.254.169.250",
};

/** Name of the managed Docker network when the server names none (hostState.network.bridgeName wins). */
export const defaultManagedNetworkName = "corral-managed";
