import { describe, expect, test } from "bun:test";
import type { InstanceSpec } from "@corral/api";
import { FakeDriver } from "../../testing/fake-driver.ts";
import { withPublishedPorts } from "./observed-ports.ts";

const spec: InstanceSpec = {
  containerId: "1i1",
  projectId: "1a1",
  name: "web",
  image: "corral/busybox:latest",
  environment: {},
  labels: {},
  ports: [],
  volumes: [],
  networkMode: "managed",
  tty: false,
  stdinOpen: false,
  pullPolicy: "never",
};

describe("withPublishedPorts", () => {
  test("observations of managed containers carry the ports the controller publishes", async () => {
    const fake = new FakeDriver();
    const published = { privatePort: 80, publicPort: 49200, protocol: "tcp" as const };
    const driver = withPublishedPorts(fake, (id) => (id === "1i1" ? [published] : undefined));
    const created = await driver.create(spec, "1h1");
    await driver.create({ ...spec, containerId: "1i2", name: "other" }, "1h1");
    expect(created.ports).toEqual([published]);
    const listed = await driver.list();
    expect(listed.find((o) => o.containerId === "1i1")?.ports).toEqual([published]);
    expect(listed.find((o) => o.containerId === "1i2")?.ports).not.toEqual([published]);
    expect((await driver.inspect(created.dockerId)).ports).toEqual([published]);
    expect((await driver.find({ containerId: "1i1" }))?.ports).toEqual([published]);
    // Methods it does not wrap still reach the class instance behind it.
    expect(await driver.version()).toBe("99.0.0-fake");
    expect(await driver.hasImage("corral/busybox:latest")).toBe(true);
  });
});
