import { describe, expect, test } from "bun:test";
import type { InstanceSpec } from "@corral/api";
import { FakeDriver } from "../../testing/fake-driver.ts";
import { testHost, until } from "../../testing/host.ts";
import { container, hostState, lbService, service } from "../../testing/lb-fixtures.ts";
import { createLoadBalancerController } from "./controller.ts";

/** A fake engine whose exec plays the install script: haproxy -c, swap, reload and confirm. */
function fakeEngine() {
  const driver = new FakeDriver();
  const served = new Map<string, string>();
  const reloads: string[] = [];
  driver.execHook = (dockerId, command) => {
    const [program, ...args] = command;
    if (program !== "sh") return null;
    // The install script: `haproxy -c` on <id>/haproxy.cfg, then swap, reload and confirm.
    const id = /cp (\w+)\/haproxy.cfg/.exec(args[1]!)![1]!;
    const text = driver.files.get(dockerId)?.get(`/etc/haproxy/${id}/haproxy.cfg`) ?? "";
    if (text.includes("bogus")) {
      return {
        code: 3,
        output: "[NOTICE]   (7) : haproxy version\n[ALERT]    (7) : config : unknown keyword 'bogus'\n",
      };
    }
    served.set(dockerId, id);
    reloads.push(id);
    return { code: 0, output: "" };
  };
  return { driver, served, reloads };
}

const spec = (containerId: string): InstanceSpec => ({
  containerId,
  projectId: "1a1",
  name: `lb-${containerId}`,
  image: "corral/lb-haproxy:latest",
  environment: {},
  labels: { "io.corral.lb": "true" },
  ports: [],
  volumes: [],
  networkMode: "bridge",
  tty: false,
  stdinOpen: false,
  pullPolicy: "never",
});

const web = service("1s1", "web");
const lbContainer = container("1i50", "lb-1", "1s100", "10.42.0.9", { labels: { "io.corral.lb": "true" } });
const backends = [
  container("1i1", "web-1", "1s1", "10.42.0.2"),
  container("1i2", "web-2", "1s1", "10.42.0.3"),
];
const view = (version: number, lbConfig: Record<string, unknown>, cs = backends) => {
  const lb = lbService(lbConfig);
  return hostState(version, [web, lb], [lbContainer, ...cs]);
};
const rules = { portRules: [{ sourcePort: 80, targetPort: 80, serviceId: "1s1" }] };

describe("load balancer controller (fake engine)", () => {
  test("installs the rendered config, skips an unchanged view, reinstalls on a change", async () => {
    const { driver, reloads } = fakeEngine();
    const { dockerId } = await driver.create(spec("1i50"), "1h1");
    await driver.start(dockerId);
    const host = testHost(driver);
    const lb = createLoadBalancerController(host);
    const runner = host.run(lb);
    host.bus.publish(view(1, rules));
    await runner.sync();
    expect(reloads).toHaveLength(1);
    expect(host.status.get("lb")).toMatchObject({ state: "ready", message: "1 load balancer", failures: 0 });
    const [status] = lb.report();
    expect(status).toMatchObject({ containerId: "1i50", serviceId: "1s100", dockerId, error: null });
    const cfg = driver.files.get(dockerId)!.get(`/etc/haproxy/${status!.configId}/haproxy.cfg`)!;
    expect(cfg).toContain("server web-1 10.42.0.2:80");
    host.bus.publish(view(2, rules));
    await runner.sync();
    expect(reloads).toHaveLength(1);
    host.bus.publish(view(3, rules, backends.slice(1)));
    await runner.sync();
    expect(reloads).toHaveLength(2);
    await host.stop();
  });

  test("a refused config keeps the running one and reports HAProxy's message", async () => {
    const { driver, reloads, served } = fakeEngine();
    const { dockerId } = await driver.create(spec("1i50"), "1h1");
    await driver.start(dockerId);
    const host = testHost(driver);
    const lb = createLoadBalancerController(host);
    const runner = host.run(lb);
    host.bus.publish(view(1, rules));
    await runner.sync();
    const good = lb.report()[0]!.configId;
    host.bus.publish(view(2, { ...rules, config: "defaults\n  bogus 1\n" }));
    await runner.sync();
    expect(host.status.get("lb")).toMatchObject({
      state: "degraded",
      message: "1 load balancer, 1 refused by HAProxy",
    });
    expect(lb.report()[0]).toMatchObject({
      configId: good,
      error: "[ALERT] config : unknown keyword 'bogus'",
    });
    expect(served.get(dockerId)).toBe(good!);
    // The same refused view is not tried again; a fixed one is installed and clears the error.
    const writes = () => driver.calls.filter((c) => c.startsWith("writeFiles")).length;
    const calls = writes();
    host.bus.publish(view(3, { ...rules, config: "defaults\n  bogus 1\n" }));
    await runner.sync();
    expect(writes()).toBe(calls);
    host.bus.publish(view(4, { ...rules, config: "defaults\n  timeout client 1m\n" }));
    await runner.sync();
    expect(lb.report()[0]!.error).toBeNull();
    expect(host.status.get("lb")?.state).toBe("ready");
    expect(reloads).toHaveLength(2);
    await host.stop();
  });

  test("an install that fails for another reason than HAProxy's verdict is retried with backoff", async () => {
    const { driver, reloads } = fakeEngine();
    const play = driver.execHook!;
    let broken = 2;
    driver.execHook = (dockerId, command) =>
      broken-- > 0
        ? { code: 1, output: "cp: write error: No space left on device\n" }
        : play(dockerId, command);
    const { dockerId } = await driver.create(spec("1i50"), "1h1");
    await driver.start(dockerId);
    const host = testHost(driver);
    const lb = createLoadBalancerController(host, { retryBaseMs: 20 });
    const runner = host.run(lb);
    host.bus.publish(view(1, rules));
    await runner.sync();
    expect(host.status.get("lb")).toMatchObject({
      state: "failing",
      message: "1 of 1 load balancer configs not applied",
      failures: 1,
    });
    expect(lb.report()[0]!.error).toContain("No space left on device");
    // Nothing kicks it again: the retries alone get the config in.
    await until("config installed", () => reloads.length === 1);
    await until("ready", () => host.status.get("lb")?.state === "ready");
    expect(lb.report()[0]!.error).toBeNull();
    await host.stop();
  });

  test("each container reports the newest view it is in line with; a failed install does not advance it", async () => {
    const { driver } = fakeEngine();
    const { dockerId } = await driver.create(spec("1i50"), "1h1");
    await driver.start(dockerId);
    const host = testHost(driver);
    const lb = createLoadBalancerController(host, { retryBaseMs: 600_000 });
    const runner = host.run(lb);
    const version = () => lb.report()[0]!.viewVersion;
    host.bus.publish(view(1, rules));
    await runner.sync();
    expect(version()).toBe(1);
    // Unchanged for this balancer: already in line with the newer view.
    host.bus.publish(view(2, rules));
    await runner.sync();
    expect(version()).toBe(2);
    // Refused: nothing more will come of this view, so it counts as seen.
    host.bus.publish(view(3, { ...rules, config: "defaults\n  bogus 1\n" }));
    await runner.sync();
    expect(version()).toBe(3);
    // The reload is not confirmed: HAProxy may still send requests to web-1, so the view is not passed.
    driver.execHook = () => ({ code: 4, output: "" });
    host.bus.publish(view(4, rules, backends.slice(1)));
    await runner.sync();
    expect(lb.report()[0]).toMatchObject({
      viewVersion: 3,
      error: "haproxy did not confirm the reload in time",
    });
    await host.stop();
  });

  test("a restarted container gets its config again; other hosts' and stopped LBs are left alone", async () => {
    const { driver, reloads } = fakeEngine();
    const { dockerId } = await driver.create(spec("1i50"), "1h1");
    await driver.create(spec("1i51"), "1h1");
    const host = testHost(driver);
    const lb = createLoadBalancerController(host);
    const runner = host.run(lb);
    const state = view(1, rules);
    const elsewhere = container("1i52", "lb-2", "1s100", "10.42.1.9", {
      hostId: "1h2",
      labels: { "io.corral.lb": "true" },
    });
    const stopped = { ...lbContainer, id: "1i51", name: "lb-stopped" };
    host.bus.publish({ ...state, containers: [...state.containers, elsewhere, stopped] });
    await runner.sync();
    expect(reloads).toHaveLength(0);
    // Docker's start event alone brings the config: the server's view does not change.
    await driver.start(dockerId);
    driver.emit({ action: "start", containerId: "1i50", dockerId });
    await until("config installed", () => reloads.length === 1);
    await driver.restart(dockerId);
    driver.emit({ action: "start", containerId: "1i50", dockerId });
    await until("config installed again", () => reloads.length === 2);
    expect(
      lb
        .report()
        .map((s) => s.containerId)
        .sort(),
    ).toEqual(["1i50", "1i51"]);
    // The stopped one sends no request anywhere: it is in line with every view.
    expect(lb.report().find((s) => s.containerId === "1i51")!.viewVersion).toBe(1);
    await host.stop();
  });
});
