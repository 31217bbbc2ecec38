import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type HostState, type InstanceSpec, labelKeys } from "@corral/api";
import { createLogger, run, sleep } from "@corral/lib";
import Docker from "dockerode";
import { type TestHost, testHost } from "../../testing/host.ts";
import { hostStateFor } from "../../testing/ports-state.ts";
import { createDockerDriver } from "../dockerode-driver.ts";
import { createPortsController, type PortsHostController } from "../ports/index.ts";
import { createIptables } from "../ports/iptables.ts";
import { PortsController } from "../ports/ports-controller.ts";
import { createNetworkController } from "./index.ts";

// End to end against the real dockerd, iptables and kernel: the managed bridge made from a host
// state published by hand, two busybox web servers on it, one published on 18080. Everything has
// names of its own (network, bridge, chain prefix, service address), so a real agent on this
// machine is not disturbed and nothing is left behind.
const socket = "/var/run/docker.sock";
const canRun = existsSync(socket) && process.getuid?.() === 0 && Bun.which("iptables-restore") !== null;
const tag = Math.random().toString(36).slice(2, 6);
const slice = 100 + Math.floor(Math.random() * 150);
const subnet = `10.199.${slice}.0/24`;
const ipOf = (n: number) => `10.199.${slice}.${n}`;
const config = {
  bridgeInterface: `ct${tag}0`,
  chainPrefix: `CN${tag}`,
  serviceAddress: `169.254.199.${10 + Math.floor(Math.random() * 200)}`,
};
const networkName = `corral-test-net-${tag}`;
const idA = `1i${tag}a`;
const idB = `1i${tag}b`;

/** Polls `check` until it returns a truthy value or `ms` pass. */
async function until<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(100);
  }
}

/** A DNS reply giving `ip` for an A question and no records otherwise (enough for nslookup). */
function answer(query: Buffer, ip: string): Buffer {
  let end = 12;
  while (query[end]) end += query[end]! + 1;
  const question = query.subarray(12, end + 5);
  const isA = query.readUInt16BE(end + 1) === 1;
  const header = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, isA ? 1 : 0, 0, 0, 0, 0]);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, ...ip.split(".").map(Number)]);
  return Buffer.concat(isA ? [header, question, record] : [header, question]);
}

/** Runs a command in a container; its stdout. */
function exec(name: string, ...command: string[]): Promise<string> {
  return run("docker", ["exec", name, ...command], { timeoutMs: 10_000 });
}

describe.skipIf(!canRun)("managed network and published ports, end to end", () => {
  const docker = new Docker({ socketPath: socket });
  const driver = createDockerDriver(socket);
  // The network and ports controllers as the agent runs them; this test runs its own listeners on
  // the service address instead of the DNS and metadata controllers.
  let host: TestHost;
  let ports: PortsHostController;
  const servers: { stop(): void }[] = [];
  let hostIp = "";

  const state = (ids: string[]): HostState =>
    hostStateFor(
      [
        { id: idA, name: "web-a", ip: ipOf(10), ports: ["18080:80/tcp"] },
        { id: idB, name: "web-b", ip: ipOf(11), ports: [] },
      ].filter((c) => ids.includes(c.id)),
      {
        network: {
          cidr: "10.199.0.0/16",
          hostSubnet: subnet,
          gateway: ipOf(1),
          bridgeName: networkName,
          mtu: 1500,
        },
      },
    );

  const spec = (containerId: string, page: string, ip: string): InstanceSpec => ({
    containerId,
    projectId: "1a1",
    name: `corral-net-test-${tag}-${page}`,
    image: "corral/busybox:latest",
    command: ["sh", "-c", `mkdir -p /www && echo ${page} > /www/index.html && exec httpd -f -p 80 -h /www`],
    environment: {},
    labels: { "test.run": tag },
    ports: [{ privatePort: 80, publicPort: 18080, protocol: "tcp" }],
    volumes: [],
    networkMode: "managed",
    tty: false,
    stdinOpen: false,
    pullPolicy: "never",
    // What the server sends a managed container (see server/src/network/dns-config.ts).
    dns: ["169.254.169.250"],
    dnsSearch: ["rancher.internal"],
    ipAddress: ip,
    managedNetwork: { bridgeName: networkName, subnet, gateway: ipOf(1) },
  });

  beforeAll(async () => {
    const addresses = await run("ip", ["-4", "-o", "addr", "show", "scope", "global"]);
    hostIp = /\d+: (?!ct|br-|docker)\S+\s+inet (\S+)\//.exec(addresses)?.[1] ?? ipOf(1);
    host = testHost(driver);
    const context = { ...host, network: config, iptables: createIptables() };
    ports = createPortsController(context, { intervalMs: 1_000 });
    host.run(createNetworkController(context, { intervalMs: 1_000 }));
    host.run(ports);
    host.bus.publish(state([idA, idB]));
    await until(async () => (await docker.getNetwork(networkName).inspect()).Id);
    for (const [id, page, n] of [
      [idA, "page-a", 10],
      [idB, "page-b", 11],
    ] as const) {
      const created = await driver.create(spec(id, page, ipOf(n)), "1h1");
      await driver.start(created.dockerId);
    }
    // The ports controller sees them running at its next pass.
    await until(async () => ports.publishedPorts(idA));
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    for (const server of servers) server.stop();
    const ours = await docker.listContainers({ all: true, filters: { label: [`test.run=${tag}`] } });
    await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    await docker
      .getNetwork(networkName)
      .remove()
      .catch(() => {});
    await new PortsController({
      iptables: createIptables(),
      logger: createLogger("test"),
      prefix: config.chainPrefix,
      bridgeInterface: config.bridgeInterface,
      serviceAddress: config.serviceAddress,
    }).removeAll();
  }, 30_000);

  test("the bridge has the slice, its options and the service address", async () => {
    const info = await docker.getNetwork(networkName).inspect();
    expect(info.IPAM?.Config?.[0]).toMatchObject({ Subnet: subnet, Gateway: ipOf(1) });
    expect(info.Options?.["com.docker.network.bridge.enable_ip_masquerade"]).toBe("false");
    expect(info.Options?.["com.docker.network.bridge.name"]).toBe(config.bridgeInterface);
    const addresses = await run("ip", ["-4", "-o", "addr", "show", "dev", config.bridgeInterface]);
    expect(addresses).toContain(`inet ${config.serviceAddress}/32`);
  });

  test("containers get their managed address and Corral's resolver; Docker publishes nothing", async () => {
    const inspected = await docker.getContainer(spec(idA, "page-a", "").name).inspect();
    expect(inspected.NetworkSettings.Networks[networkName]?.IPAddress).toBe(ipOf(10));
    expect(inspected.NetworkSettings.Ports as unknown).toEqual({ "80/tcp": null });
    expect(inspected.Config.Labels[labelKeys.containerId]).toBe(idA);
    // On a user-defined network Docker's embedded resolver (127.0.0.11) sits in resolv.conf and
    // forwards, from the container's own address, to the servers given here.
    expect(inspected.HostConfig.Dns).toEqual(["169.254.169.250"]);
    const resolv = await exec(inspected.Name.slice(1), "cat", "/etc/resolv.conf");
    expect(resolv).toContain("search rancher.internal");
    expect(ports.publishedPorts(idA)).toEqual([{ privatePort: 80, publicPort: 18080, protocol: "tcp" }]);
  });

  test("the published port answers from the host, by loopback and by the host's address", async () => {
    expect(await (await fetch("http://127.0.0.1:18080/")).text()).toBe("page-a\n");
    expect(await (await fetch(`http://${hostIp}:18080/`)).text()).toBe("page-a\n");
  });

  test("container to container by address, and to the published port via the host (hairpin)", async () => {
    const b = spec(idB, "page-b", "").name;
    const a = spec(idA, "page-a", "").name;
    expect(await exec(b, "wget", "-qO-", `http://${ipOf(10)}/`)).toBe("page-a");
    expect(await exec(b, "wget", "-qO-", `http://${hostIp}:18080/`)).toBe("page-a");
    // A container reaching its own published port needs the bridge port in hairpin mode.
    expect(await exec(a, "wget", "-qO-", `http://${hostIp}:18080/`)).toBe("page-a");
  }, 30_000);

  test("containers reach DNS (UDP 53) and HTTP listeners on the service address", async () => {
    servers.push(
      Bun.serve({ hostname: config.serviceAddress, port: 18099, fetch: () => new Response("meta") }),
    );
    const dns = await Bun.udpSocket({
      hostname: config.serviceAddress,
      port: 53,
      socket: {
        data: (socket, query, port, address) => void socket.send(answer(query, ipOf(77)), port, address),
      },
    });
    servers.push({ stop: () => dns.close() });
    const b = spec(idB, "page-b", "").name;
    expect(await exec(b, "wget", "-qO-", `http://${config.serviceAddress}:18099/`)).toBe("meta");
    const looked = await exec(b, "nslookup", "test.rancher.internal", config.serviceAddress);
    expect(looked).toContain(`Address: ${ipOf(77)}`);
  }, 20_000);

  test("removing the container removes its rules, though the server's view still lists it", async () => {
    const dnat = `--to-destination ${ipOf(10)}:80`;
    const accept = `-d ${ipOf(10)}/32`;
    const nat = () => run("iptables-save", ["-t", "nat"]);
    const filter = () => run("iptables-save", ["-t", "filter"]);
    expect(await nat()).toContain(dnat);
    expect(await filter()).toContain(accept);
    await driver.remove((await driver.find({ containerId: idA }))!.dockerId);
    // One pass restores nat, then filter: wait for both, not for the first alone.
    await until(async () => !(await nat()).includes(dnat) && !(await filter()).includes(accept), 10_000);
    expect(ports.publishedPorts(idA)).toBeUndefined();
  }, 15_000);
});
