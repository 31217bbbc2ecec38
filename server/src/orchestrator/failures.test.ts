/**
 * Failed units on in-memory state: errored, vanished, exited and unhealthy containers are replaced
 * or restarted, and a unit that fails again and again is retried with a growing delay, never in a
 * tight loop.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { activateService, deactivateService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
`;
const rancherCompose = (scale: number, healthCheck = "") => `version: '2'
services:
  web:
    scale: ${scale}
${healthCheck}`;

/** `count` attempts at these times, each gap twice the one before from 1 s (within a pass's latency). */
function expectDoubling(at: number[], count: number): void {
  expect(at).toHaveLength(count);
  for (let i = 1; i < at.length; i++) {
    const gap = at[i]! - at[i - 1]!;
    expect(gap).toBeGreaterThanOrEqual(1000 * 2 ** (i - 1));
    expect(gap).toBeLessThan(1000 * 2 ** (i - 1) + 200);
  }
}

test("a unit whose create keeps failing is retried after 1, 2, 4, 8 s, not in a tight loop", async () => {
  kit = OrchestratorKit.start();
  kit.agents.misbehave({ name: "instance.create" }, { kind: "fail", message: "image not found" });
  kit.createStack("shop", dockerCompose, rancherCompose(1));
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(1);
  await kit.advance(16_000);
  expectDoubling(
    kit.agents.sent({ name: "instance.create" }).map((e) => e.at),
    5,
  );
  const svc = kit.service("web");
  expect(svc.data.failures).toBe(5);
  expect(svc.data.transitioningMessage).toBe("shop-web-5: image not found");
  expect(svc.data.healthState).toBe("unhealthy");
  // Every failed unit was removed: nothing piles up.
  expect(kit.containers("web").filter((c) => c.state !== "removed").length).toBeLessThanOrEqual(1);

  // The cause is fixed: the next attempt succeeds and the count starts over.
  kit.agents.behave();
  await kit.advance(16_000);
  const healed = kit.service("web");
  expect([healed.data.currentScale, healed.data.healthState, healed.data.failures]).toEqual([
    1,
    "healthy",
    0,
  ]);
  expect(healed.data.transitioningMessage).toBe("");
  expect(kit.units("web").map((u) => u.createIndex)).toEqual([6]);
});

test("the delay grows to at most a minute", async () => {
  kit = OrchestratorKit.start();
  kit.agents.misbehave({ name: "instance.create" }, { kind: "fail", message: "image not found" });
  kit.createStack("shop", dockerCompose, rancherCompose(1));
  await kit.advance(300_000, 250);
  const at = kit.agents.sent({ name: "instance.create" }).map((e) => e.at);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  expect(Math.max(...gaps)).toBeLessThan(60_500);
  expect(gaps.at(-1)).toBeGreaterThanOrEqual(60_000);
  // 1+2+4+8+16+32 s, then one a minute: 10 attempts in five minutes.
  expect(at).toHaveLength(10);
});

test("a container gone from its host is replaced once the host's snapshot says so", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(2));
  await kit.settle();
  const [first] = kit.units("web");
  const id = formatId("container", first!.containers[0]!.id);
  kit.agents.vanish(id);
  // A snapshot is trusted only for rows that have been still a while (3 s).
  await kit.advance(3500);
  kit.agents.ping(first!.hostId!);
  await kit.settle();
  expect(kit.row("container", id).state).not.toBe("running");
  await kit.advance(1100);
  expect(kit.units("web").map((u) => u.createIndex)).toEqual([2, 3]);
  expect(kit.service("web").data.currentScale).toBe(2);
});

test("a container that exits is started again in place", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(1));
  await kit.settle();
  const c = kit.containers("web")[0]!;
  kit.agents.exit(formatId("container", c.id), 137);
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.start" }).map((e) => e.containerId)).toEqual([
    formatId("container", c.id),
  ]);
  expect(kit.row("container", formatId("container", c.id)).state).toBe("running");
  expect(kit.units("web").map((u) => u.createIndex)).toEqual([1]);
});

test("a container that exits at every start is not restarted in a tight loop", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(1));
  await kit.settle();
  const c = kit.containers("web")[0]!;
  kit.agents.misbehave({ name: "instance.start" }, { kind: "crash", exitCode: 1 });
  kit.agents.exit(formatId("container", c.id), 1);
  const exited = Date.now();
  await kit.advance(16_000);
  // At once, then after 1, 2, 4 and 8 s, as failed creates are retried.
  const at = kit.agents.sent({ name: "instance.start" }).map((e) => e.at);
  expect(at[0]! - exited).toBeLessThan(100);
  expectDoubling(at, 5);
  const svc = kit.service("web");
  expect([svc.data.healthState, svc.data.currentScale, svc.data.failures]).toEqual(["unhealthy", 0, 5]);
  expect(svc.data.transitioningMessage).toBe("shop-web-1: exited with code 1");
});

test("activating a deactivated service starts its containers at once, counting no failure", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(2));
  await kit.settle();
  const id = formatId("service", kit.service("web").id);
  deactivateService(kit.ctx, id);
  await kit.settle();
  expect(kit.service("web").state).toBe("inactive");
  expect(kit.containers("web").map((c) => c.state)).toEqual(["stopped", "stopped"]);
  activateService(kit.ctx, id);
  await kit.settle();
  const svc = kit.service("web");
  expect([svc.state, svc.data.currentScale, svc.data.failures ?? 0]).toEqual(["active", 2, 0]);
  expect(kit.agents.sent({ name: "instance.start" })).toHaveLength(2);
});

test("an unhealthy container is replaced under the recreate strategy", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(2, "    health_check:\n      port: 80\n"));
  await kit.settle();
  const [sick] = kit.containers("web");
  kit.agents.reportHealth(formatId("container", sick!.id), "unhealthy");
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.remove" }).map((e) => e.containerId)).toEqual([
    formatId("container", sick!.id),
  ]);
  expect(kit.units("web").map((u) => u.createIndex)).toEqual([2, 3]);
  expect(kit.service("web").data.healthState).toBe("healthy");
  // An unhealthy container is not a failed one: no crash-loop delay was added.
  expect(kit.service("web").data.failures ?? 0).toBe(0);
});

test("with strategy none an unhealthy container stays and the service is degraded", async () => {
  kit = OrchestratorKit.start();
  kit.createStack(
    "shop",
    dockerCompose,
    rancherCompose(2, "    health_check:\n      port: 80\n      strategy: none\n"),
  );
  await kit.settle();
  const [sick] = kit.containers("web");
  kit.agents.reportHealth(formatId("container", sick!.id), "unhealthy");
  await kit.advance(10_000);
  expect(kit.agents.sent({ name: "instance.remove" })).toEqual([]);
  expect(kit.service("web").data.healthState).toBe("degraded");
});

test("recreateOnQuorum replaces unhealthy units only while enough others are healthy", async () => {
  kit = OrchestratorKit.start();
  kit.createStack(
    "shop",
    dockerCompose,
    rancherCompose(
      3,
      "    health_check:\n      port: 80\n      strategy: recreateOnQuorum\n      recreate_on_quorum_strategy_config:\n        quorum: 2\n",
    ),
  );
  await kit.settle();
  const [a, b] = kit.containers("web");
  // One of three unhealthy: two healthy meet the quorum, so it is replaced.
  kit.agents.reportHealth(formatId("container", a!.id), "unhealthy");
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(1);
  // Now two of three unhealthy at once: one healthy is below the quorum, both are kept.
  kit.agents.health = () => null;
  const [, c, d] = kit.containers("web", ["running"]);
  kit.agents.reportHealth(formatId("container", c!.id), "unhealthy");
  kit.agents.reportHealth(formatId("container", d!.id), "unhealthy");
  await kit.advance(5000);
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(1);
  expect(b).toBeDefined();
});

test("a container that dies shortly after every start is restarted with a growing delay", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(1));
  await kit.settle();
  const c = kit.containers("web")[0]!;
  kit.agents.misbehave({ name: "instance.start" }, { kind: "crash", exitCode: 1, afterMs: 300 });
  kit.agents.exit(formatId("container", c.id), 1);
  await kit.advance(16_000);
  // At once, then after 1, 2, 4 and 8 s: it never ran long enough to earn a fresh start.
  expectDoubling(
    kit.agents.sent({ name: "instance.start" }).map((e) => e.at),
    5,
  );

  // It is fixed: the start due at 31 s keeps running, and once it has stayed up past that delay
  // (32 s) the count starts over, so a later crash is restarted at once again.
  kit.agents.behave();
  await kit.advance(40_000);
  expect(kit.service("web").data.failures).toBe(6);
  await kit.advance(10_000);
  const svc = kit.service("web");
  expect([svc.data.failures, svc.data.transitioningMessage, svc.data.healthState]).toEqual([
    0,
    "",
    "healthy",
  ]);
  kit.agents.misbehave({ name: "instance.start" }, { kind: "crash", exitCode: 1, afterMs: 300 }, 1);
  kit.agents.exit(formatId("container", c.id), 1);
  const before = kit.agents.sent({ name: "instance.start" }).length;
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.start" })).toHaveLength(before + 1);
});
