import type { InstanceSpec } from "@corral/api";
import type Docker from "dockerode";

/**
 * Puts a container of the managed network on the host's managed bridge with the address the
 * server allocated, and lets Docker publish none of its ports: the port controller's chains do,
 * from the host state. Its resolver is the spec's `dns`/`dnsSearch` as they are: the server already
 * made them 169.254.169.250 and the rancher.internal domains, unless the container's
 * `io.rancher.container.dns.priority=None` label keeps its own. A `managed` spec without
 * `managedNetwork` (a server that does not run the managed network) keeps Docker's default bridge
 * and Docker's own publishing.
 */
export function applyManagedNetwork(options: Docker.ContainerCreateOptions, spec: InstanceSpec): void {
  const managed = spec.managedNetwork;
  if (spec.networkMode !== "managed" || !managed) return;
  const hostConfig = options.HostConfig ?? {};
  hostConfig.NetworkMode = managed.bridgeName;
  hostConfig.PortBindings = {};
  options.HostConfig = hostConfig;
  options.NetworkingConfig = {
    EndpointsConfig: {
      [managed.bridgeName]: spec.ipAddress ? { IPAMConfig: { IPv4Address: spec.ipAddress } } : {},
    },
  };
}
