import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { InstanceSpec } from "@corral/api";
import Docker from "dockerode";
import { createDockerDriver } from "./dockerode-driver.ts";

// Against the local dockerd (run under the host lock): a managed container whose network appears
// only after the create was sent, as on a busy host where instance.create beats the first network pass.
const socket = "/var/run/docker.sock";
const run = Math.random().toString(36).slice(2, 8);
const network = `corral-wait-${run}`;
const name = `corral-net-wait-${run}`;

const spec: InstanceSpec = {
  containerId: `1i8${Date.now() % 1_000_000}`,
  projectId: "1a1",
  name,
  image: "corral/busybox:latest",
  command: ["sleep", "30"],
  environment: {},
  labels: {},
  ports: [],
  volumes: [],
  networkMode: "managed",
  managedNetwork: { bridgeName: network, subnet: "10.199.77.0/24", gateway: "10.199.77.1" },
  tty: false,
  stdinOpen: false,
  pullPolicy: "never",
  restartPolicy: { name: "no" },
};

describe.skipIf(!existsSync(socket))("a managed container's create waits for its network", () => {
  const docker = new Docker({ socketPath: socket });
  const driver = createDockerDriver(socket);

  afterAll(async () => {
    for (const c of [name, `${name}-x`])
      await docker
        .getContainer(c)
        .remove({ force: true })
        .catch(() => {});
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => {});
  });

  test("the create succeeds on the network once it exists", async () => {
    const created = driver.create(spec, "1h1");
    await Bun.sleep(1000);
    await docker.createNetwork({
      Name: network,
      Driver: "bridge",
      IPAM: { Config: [{ Subnet: "10.199.77.0/24", Gateway: "10.199.77.1" }] },
    });
    const observed = await created;
    const info = await docker.getContainer(observed.dockerId).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([network]);
  });

  test("any other missing thing fails at once", async () => {
    const t0 = Date.now();
    const other: InstanceSpec = { ...spec, name: `${name}-x`, image: "corral/none-such:latest" };
    await expect(driver.create(other, "1h1")).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
