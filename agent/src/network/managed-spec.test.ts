import { describe, expect, test } from "bun:test";
import type { InstanceSpec } from "@corral/api";
import { toCreateOptions } from "../docker-spec.ts";

const base: InstanceSpec = {
  containerId: "1i9",
  projectId: "1a1",
  name: "web",
  image: "corral/busybox",
  environment: {},
  labels: {},
  ports: [{ privatePort: 80, publicPort: 18080, protocol: "tcp" }],
  volumes: [],
  networkMode: "managed",
  tty: false,
  stdinOpen: false,
  pullPolicy: "never",
  dns: ["169.254.169.250"],
  dnsSearch: ["web.stack.rancher.internal", "rancher.internal"],
};
const managedNetwork = { bridgeName: "corral-managed", subnet: "10.42.1.0/24", gateway: "10.42.1.1" };

describe("managed networking in create options", () => {
  test("joins the managed bridge with its address, the spec's resolver and no Docker publishing", () => {
    const options = toCreateOptions({ ...base, managedNetwork, ipAddress: "10.42.1.5" }, "1h1");
    expect(options.HostConfig?.NetworkMode).toBe("corral-managed");
    expect(options.NetworkingConfig).toEqual({
      EndpointsConfig: { "corral-managed": { IPAMConfig: { IPv4Address: "10.42.1.5" } } },
    });
    expect(options.HostConfig?.PortBindings).toEqual({});
    expect(options.ExposedPorts).toEqual({ "80/tcp": {} });
    expect(options.HostConfig?.Dns).toEqual(["169.254.169.250"]);
    expect(options.HostConfig?.DnsSearch).toEqual(["web.stack.rancher.internal", "rancher.internal"]);
  });

  test("without an address Docker picks one from the slice", () => {
    const options = toCreateOptions({ ...base, managedNetwork }, "1h1");
    expect(options.NetworkingConfig).toEqual({ EndpointsConfig: { "corral-managed": {} } });
  });

  test("other network modes, and managed without network info, keep Docker's own publishing", () => {
    for (const spec of [base, { ...base, networkMode: "host", managedNetwork }]) {
      const options = toCreateOptions(spec, "1h1");
      expect(options.NetworkingConfig).toBeUndefined();
      expect(options.HostConfig?.PortBindings).toEqual({ "80/tcp": [{ HostPort: "18080" }] });
    }
  });
});
