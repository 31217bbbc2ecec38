/** A RancherOS-style bond + VLAN + bridge config: the plan's unit test and the netns test apply it. */
export const bondVlanBridge = `rancher:
  network:
    interfaces:
      eth0: {bond: bond0}
      "mac:52:54:00:00:00:02": {bond: bond0}
      bond0:
        bond_opts: {miimon: 100, mode: active-backup}
        vlans: "100,200:vl200"
        address: 10.1.0.2/24
        gateway: 10.1.0.1
      bond0.100: {address: 10.100.0.2/24, mtu: 1400}
      vl200: {bridge: br0}
      eth2: {bridge: br0}
      br0: {bridge: true, address: 10.2.0.2/24}
`;
