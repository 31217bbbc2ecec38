import { expect, test } from "bun:test";
import type { InstanceSpec } from "@corral/api";
import { FakeClock } from "@corral/lib/testing";
import { FakeDriver } from "../../testing/fake-driver.ts";
import { FakeIptables } from "../../testing/fake-iptables.ts";
import { testHost } from "../../testing/host.ts";
import { hostStateFor } from "../../testing/ports-state.ts";
import { defaultManagedNetworkConfig } from "../network/config.ts";
import { createPortsController } from "./index.ts";

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
  pullPolicy: "missing",
};

/** The ports controller on its runner, with a fake engine, fake iptables and a fake clock. */
async function harness() {
  const driver = new FakeDriver();
  const { dockerId } = await driver.create(spec, "1h1");
  await driver.start(dockerId);
  // The managed address the server gave it (the fake engine knows only its default bridge).
  driver.containers.get(dockerId)!.observation.ipAddress = "10.42.1.10";
  const clock = new FakeClock();
  const host = testHost(driver, { clock });
  const iptables = new FakeIptables();
  const ports = createPortsController({ ...host, network: defaultManagedNetworkConfig, iptables });
  host.run(ports);
  /** True while the nat table forwards the published port to the container. */
  const published = async () => (await iptables.save("nat")).includes("--to-destination 10.42.1.10:80");
  return { driver, dockerId, clock, host, iptables, ports, published };
}

test("waits for the first view, then follows views, container starts and deaths, and its interval", async () => {
  const { driver, dockerId, clock, host, iptables, ports, published } = await harness();
  await clock.advance(0);
  expect(host.status.get("ports")).toMatchObject({
    state: "waiting",
    message: "no host state from the server yet",
  });
  expect(iptables.restores).toEqual([]);

  host.bus.publish(hostStateFor([{ ports: ["18080:80/tcp"] }]));
  await clock.advance(0);
  expect(await published()).toBe(true);
  expect(ports.publishedPorts("1i1")).toEqual([{ privatePort: 80, publicPort: 18080, protocol: "tcp" }]);
  expect(host.status.get("ports")).toMatchObject({
    state: "ready",
    message: "1 published port",
    failures: 0,
  });

  // An exec changes nothing that runs: no reconcile.
  const saves = () => iptables.restores.length;
  const reconciled = host.status.get("ports")!.lastReconcile;
  await clock.advance(1_000);
  driver.emit({ action: "exec_start: sh", containerId: "1i1", dockerId });
  await clock.advance(0);
  expect(host.status.get("ports")!.lastReconcile).toBe(reconciled);

  // The container dies: Docker's event alone takes its rules away, the view still says running.
  await driver.stop(dockerId);
  driver.emit({ action: "die", containerId: "1i1", dockerId });
  await clock.advance(0);
  expect(await published()).toBe(false);
  expect(ports.publishedPorts("1i1")).toBeUndefined();

  // Someone adds the rule back by hand; the interval pass (5 s after the last) repairs it.
  const before = saves();
  iptables.add("nat", "CORRAL-PREROUTING", "-p tcp -j DNAT --to-destination 10.42.1.10:80");
  await clock.advance(4_999);
  expect(saves()).toBe(before);
  await clock.advance(1);
  expect(saves()).toBe(before + 1);
  expect(await published()).toBe(false);
  await host.stop();
});

test("a failing restore is retried with backoff and shows in the host status", async () => {
  const { clock, host, iptables, published } = await harness();
  const restore = iptables.restore.bind(iptables);
  let broken = 2;
  iptables.restore = async (table, text) => {
    if (broken > 0) {
      broken--;
      throw new Error("iptables-restore: line 2 failed");
    }
    return restore(table, text);
  };
  host.bus.publish(hostStateFor([{ ports: ["18080:80/tcp"] }]));
  await clock.advance(0);
  expect(host.status.get("ports")).toMatchObject({
    state: "failing",
    message: "iptables-restore: line 2 failed",
    failures: 1,
  });
  await clock.advance(500);
  expect(host.status.get("ports")).toMatchObject({ state: "failing", failures: 2 });
  expect(await published()).toBe(false);
  await clock.advance(1_000);
  expect(host.status.get("ports")).toMatchObject({ state: "ready", failures: 0 });
  expect(await published()).toBe(true);
  await host.stop();
});
