import { describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { hostStateFor } from "../../testing/ports-state.ts";
import type { BridgeSpec, DockerNetworkInfo, NetworkBackend } from "./network-backend.ts";
import { NetworkController } from "./network-controller.ts";

/** A NetworkBackend in memory, recording calls. */
class FakeBackend implements NetworkBackend {
  networks = new Map<string, DockerNetworkInfo>();
  addresses = new Map<string, string[]>();
  calls: string[] = [];
  async inspectNetwork(name: string) {
    return this.networks.get(name) ?? null;
  }
  async createNetwork(name: string, spec: BridgeSpec) {
    this.calls.push(`create ${name} ${spec.subnet} ${spec.gateway} ${spec.bridgeInterface} ${spec.mtu}`);
    this.networks.set(name, { ...spec, containers: 0 });
  }
  async removeNetwork(name: string) {
    this.calls.push(`remove ${name}`);
    this.networks.delete(name);
  }
  async interfaceAddresses(iface: string) {
    return this.addresses.get(iface) ?? [];
  }
  async addAddress(iface: string, cidr: string) {
    this.calls.push(`addr ${iface} ${cidr}`);
    this.addresses.set(iface, [...(this.addresses.get(iface) ?? []), cidr]);
  }
  async prepareBridge(iface: string) {
    this.calls.push(`prepare ${iface}`);
  }
}

function setup() {
  const backend = new FakeBackend();
  const controller = new NetworkController({
    backend,
    logger: createLogger("test"),
    bridgeInterface: "corral0",
    serviceAddress: "169.254.169.250",
  });
  return { backend, controller };
}

describe("NetworkController", () => {
  test("creates the bridge on the host's slice and adds the service address once", async () => {
    const { backend, controller } = setup();
    const state = hostStateFor([]);
    expect((await controller.pass(state)).network).toBe("created");
    expect(backend.calls).toEqual([
      "create corral-managed 10.42.1.0/24 10.42.1.1 corral0 1500",
      "addr corral0 169.254.169.250/32",
      "prepare corral0",
    ]);
    backend.calls = [];
    expect(await controller.pass(state)).toEqual({
      bridgeInterface: "corral0",
      network: "kept",
      addressAdded: false,
    });
    expect(backend.calls).toEqual(["prepare corral0"]);
    // Docker dropped the address (daemon restart): the next pass puts it back.
    backend.addresses.set("corral0", ["10.42.1.1/24"]);
    expect((await controller.pass(state)).addressAdded).toBe(true);
  });

  test("recreates a network on another subnet only when no container uses it", async () => {
    const { backend, controller } = setup();
    backend.networks.set("corral-managed", {
      subnet: "10.42.7.0/24",
      gateway: "10.42.7.1",
      bridgeInterface: "corral0",
      containers: 2,
    });
    const state = hostStateFor([]);
    expect((await controller.pass(state)).network).toBe("kept");
    expect(backend.calls.some((c) => c.startsWith("remove"))).toBe(false);
    backend.networks.get("corral-managed")!.containers = 0;
    expect((await controller.pass(state)).network).toBe("recreated");
    expect(backend.calls.filter((c) => /^(remove|create)/.test(c))).toEqual([
      "remove corral-managed",
      "create corral-managed 10.42.1.0/24 10.42.1.1 corral0 1500",
    ]);
  });

  test("works on the bridge an existing network names; does nothing without a managed network", async () => {
    const { backend, controller } = setup();
    backend.networks.set("corral-managed", {
      subnet: "10.42.1.0/24",
      gateway: "10.42.1.1",
      bridgeInterface: "br-old",
      containers: 0,
    });
    expect((await controller.pass(hostStateFor([]))).bridgeInterface).toBe("br-old");
    backend.calls = [];
    expect((await controller.pass(hostStateFor([], { network: null }))).network).toBe("none");
    expect(backend.calls).toEqual([]);
  });
});
