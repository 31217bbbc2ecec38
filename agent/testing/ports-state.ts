import type { HostState, StateContainer } from "@corral/api";

/** A host state for tests: host 1h1 with slice 10.42.1.0/24 of 10.42.0.0/16, bridge `bridgeName`. */
export function hostStateFor(
  containers: Partial<StateContainer>[],
  overrides: Partial<HostState> = {},
  bridgeName = "corral-managed",
): HostState {
  return {
    type: "hostState",
    version: 1,
    hostId: "1h1",
    environmentId: "1a1",
    network: {
      cidr: "10.42.0.0/16",
      hostSubnet: "10.42.1.0/24",
      gateway: "10.42.1.1",
      bridgeName,
      mtu: 1500,
    },
    portRange: { start: 49153, end: 65535 },
    containers: containers.map((c, i) => ({
      id: `1i${i + 1}`,
      name: `c${i + 1}`,
      hostId: "1h1",
      ip: `10.42.1.${i + 10}`,
      state: "running",
      healthState: null,
      stackName: null,
      serviceName: null,
      serviceId: null,
      launchConfigName: null,
      createIndex: null,
      labels: {},
      ports: [],
      links: {},
      dns: [],
      dnsSearch: [],
      ...c,
    })),
    services: [],
    hosts: [],
    certificates: [],
    upstreamDns: [],
    ...overrides,
  };
}
