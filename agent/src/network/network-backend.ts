import { readdir, readFile, writeFile } from "node:fs/promises";
import { AppError, run } from "@corral/lib";
import Docker from "dockerode";

/** What Docker says of the managed network. */
export interface DockerNetworkInfo {
  subnet: string | null;
  gateway: string | null;
  /** The Linux bridge behind it (option com.docker.network.bridge.name), when set. */
  bridgeInterface: string | null;
  /** Containers configured on it, stopped ones included. */
  containers: number;
}

/** How the managed bridge must be created. */
export interface BridgeSpec {
  subnet: string;
  gateway: string;
  mtu: number;
  bridgeInterface: string;
}

/**
 * What the network controller does to the host: Docker networks, interface addresses and bridge
 * settings. Behind an interface so the controller is tested against a fake and this against the
 * real Docker and kernel.
 */
export interface NetworkBackend {
  inspectNetwork(name: string): Promise<DockerNetworkInfo | null>;
  createNetwork(name: string, spec: BridgeSpec): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  /** IPv4 addresses of an interface as CIDRs ("169.254.169.250/32"). */
  interfaceAddresses(iface: string): Promise<string[]>;
  addAddress(iface: string, cidr: string): Promise<void>;
  /** Makes published ports work on the bridge (see the implementation for why). */
  prepareBridge(iface: string): Promise<void>;
}

/** Docker's status code of a failed call, if any. */
function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}

/** The real backend: dockerode on `socketPath`, `ip`, and /proc and /sys. */
export function createNetworkBackend(socketPath = "/var/run/docker.sock"): NetworkBackend {
  const docker = new Docker({ socketPath });
  return {
    async inspectNetwork(name) {
      let info: Docker.NetworkInspectInfo;
      try {
        info = await docker.getNetwork(name).inspect();
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw new AppError("ServerError", `inspect network ${name}: ${(e as Error).message}`, { cause: e });
      }
      const ipam = info.IPAM?.Config?.[0];
      // The network's own container list holds running ones only; a stopped container still needs it.
      const users = await docker.listContainers({ all: true, filters: { network: [info.Id] } });
      return {
        subnet: ipam?.Subnet ?? null,
        gateway: ipam?.Gateway ?? null,
        bridgeInterface: info.Options?.["com.docker.network.bridge.name"] ?? null,
        containers: users.length,
      };
    },

    async createNetwork(name, spec) {
      await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        IPAM: { Driver: "default", Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
        Options: {
          "com.docker.network.bridge.name": spec.bridgeInterface,
          // Corral's own POSTROUTING chain masquerades only what leaves the managed range;
          // Docker's would also hide container addresses from other hosts' containers.
          "com.docker.network.bridge.enable_ip_masquerade": "false",
          "com.docker.network.driver.mtu": String(spec.mtu),
        },
        Labels: { "io.corral.network": "managed" },
      });
    },

    async removeNetwork(name) {
      await docker
        .getNetwork(name)
        .remove()
        .catch((e) => {
          if (statusOf(e) !== 404) throw e;
        });
    },

    async interfaceAddresses(iface) {
      const text = await run("ip", ["-4", "-o", "addr", "show", "dev", iface]);
      return [...text.matchAll(/\binet (\S+)/g)].map((m) => m[1]!);
    },

    async addAddress(iface, cidr) {
      await run("ip", ["addr", "add", cidr, "dev", iface]);
    },

    async prepareBridge(iface) {
      // Connections to 127.0.0.1:<public port> are DNATed to a container on the bridge; the kernel
      // drops loopback-sourced packets on other interfaces unless route_localnet allows them.
      await writeIfDifferent(`/proc/sys/net/ipv4/conf/${iface}/route_localnet`, "1");
      // A container reaching its own published port via the host's address gets the packet back
      // through the port it came from: the bridge does that only in hairpin mode. Docker sets it
      // only when its userland proxy is off, so it is set here on every port, new ones included.
      const ports = await readdir(`/sys/class/net/${iface}/brif`).catch(() => [] as string[]);
      for (const port of ports)
        await writeIfDifferent(`/sys/class/net/${iface}/brif/${port}/hairpin_mode`, "1").catch(() => {
          // The port vanished with its container between listing and writing: nothing to set.
        });
    },
  };
}

/** Writes a sysctl/sysfs value unless it already holds it (writes are not free, passes are frequent). */
async function writeIfDifferent(path: string, value: string): Promise<void> {
  const current = await readFile(path, "utf8").catch(() => null);
  if (current?.trim() === value) return;
  await writeFile(path, value);
}
