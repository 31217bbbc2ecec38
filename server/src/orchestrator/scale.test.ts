/**
 * Scale on in-memory state: units are added until `scale`, spread over the hosts, and extras leave
 * highest createIndex first, whole units at a time, after draining.
 */
import { afterEach, expect, test } from "bun:test";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const web = (scale: number) => [
  `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f
    labels:
      io.rancher.sidekicks: log
  log:
    image: corral/busybox
    command: sleep 3600
    network_mode: "container:web"
`,
  `version: '2'
services:
  web:
    scale: ${scale}
`,
];

/** The createIndexes of the service's units. */
function indexes(): number[] {
  return kit.units("web").map((u) => u.createIndex);
}

/** How many units of the service each host has, host by host. */
function perHost(): number[] {
  const units = kit.units("web");
  return kit.hostIds.map((h) => units.filter((u) => u.hostId === h).length);
}

test("scale up adds whole units, spread over the hosts, each with a new createIndex", async () => {
  kit = OrchestratorKit.start();
  const [dc, rc] = web(2);
  kit.createStack("shop", dc!, rc);
  await kit.settle();
  expect(indexes()).toEqual([1, 2]);
  expect(perHost().sort()).toEqual([0, 1, 1]);
  const svc = kit.service("web");
  expect(svc.state).toBe("active");
  expect(svc.data.currentScale).toBe(2);
  expect(svc.data.healthState).toBe("healthy");

  kit.scale("web", 5);
  await kit.settle();
  expect(indexes()).toEqual([1, 2, 3, 4, 5]);
  expect(perHost().sort()).toEqual([1, 2, 2]);
  for (const unit of kit.units("web")) {
    expect(unit.containers.map((c) => c.name).sort()).toEqual([
      `shop-web-${unit.createIndex}`,
      `shop-web-log-${unit.createIndex}`,
    ]);
    expect(unit.containers.every((c) => c.state === "running")).toBe(true);
  }
  expect(kit.service("web").data.currentScale).toBe(5);
});

test("scale down removes the highest createIndex first, sidekicks with their primary", async () => {
  kit = OrchestratorKit.start();
  const [dc, rc] = web(5);
  kit.createStack("shop", dc!, rc);
  await kit.settle();
  const before = kit.agents.events.length;
  kit.scale("web", 2);
  await kit.settle();
  expect(indexes()).toEqual([1, 2]);
  const removed = kit.agents.events.slice(before);
  expect(removed.every((e) => e.name === "instance.remove")).toBe(true);
  expect(removed.map((e) => e.containerName).sort()).toEqual([
    "shop-web-3",
    "shop-web-4",
    "shop-web-5",
    "shop-web-log-3",
    "shop-web-log-4",
    "shop-web-log-5",
  ]);
  expect(kit.service("web").data.currentScale).toBe(2);

  // A createIndex is never given out twice: the next unit is 6, not 3.
  kit.scale("web", 3);
  await kit.settle();
  expect(indexes()).toEqual([1, 2, 6]);
});

test("extras leave DNS and balancers first and are removed only after the drain time", async () => {
  kit = OrchestratorKit.start({ drainMs: 3000 });
  const [dc, rc] = web(3);
  kit.createStack("shop", dc!, rc);
  await kit.settle();
  kit.scale("web", 1);
  await kit.settle();
  const leaving = kit.containers("web").filter((c) => c.data.createIndex > 1);
  expect(leaving).toHaveLength(4);
  for (const c of leaving) expect([c.state, c.data.transitioningMessage]).toEqual(["removing", "draining"]);
  // Draining containers no longer count: the service is at its new scale at once.
  expect(kit.service("web").data.currentScale).toBe(1);
  await kit.advance(2900);
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(0);
  await kit.advance(200);
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(4);
  expect(
    kit
      .containers("web")
      .map((c) => c.name)
      .sort(),
  ).toEqual(["shop-web-1", "shop-web-log-1"]);
});

test("scale 0 leaves no units and a healthy service", async () => {
  kit = OrchestratorKit.start();
  const [dc, rc] = web(2);
  kit.createStack("shop", dc!, rc);
  await kit.settle();
  kit.scale("web", 0);
  await kit.settle();
  expect(kit.units("web")).toEqual([]);
  const svc = kit.service("web");
  expect([svc.state, svc.data.currentScale, svc.data.healthState]).toEqual(["active", 0, "healthy"]);
});

test("a unit no host can take waits with the reason, and is placed when a host fits", async () => {
  kit = OrchestratorKit.start();
  kit.createStack(
    "shop",
    `version: '2'
services:
  db:
    image: corral/busybox
    labels:
      io.rancher.scheduler.affinity:host_label: role=db
`,
  );
  await kit.settle();
  expect(kit.units("db")).toEqual([]);
  const waiting = kit.service("db");
  expect(waiting.data.schedulingMessage).toContain("role=db");
  expect(waiting.data.healthState).toBe("unhealthy");

  kit.setHostLabels(kit.hostIds[1]!, { role: "db" });
  await kit.settle();
  expect(kit.units("db").map((u) => u.hostId)).toEqual([kit.hostIds[1]!]);
  expect(kit.service("db").data.schedulingMessage).toBe("");
  expect(kit.service("db").data.healthState).toBe("healthy");
});

test("units still being created count toward the scale: a slow create is not duplicated", async () => {
  kit = OrchestratorKit.start();
  kit.agents.misbehave({ name: "instance.create" }, { kind: "hold" });
  const [dc, rc] = web(2);
  kit.createStack("shop", dc!, rc);
  await kit.advance(60_000);
  // Only the first member of each unit is asked for; the sidekick follows once it exists.
  expect(kit.agents.heldEvents().map((e) => e.containerName)).toEqual(["shop-web-1", "shop-web-2"]);
  expect(kit.containers("web").map((c) => c.state)).toEqual(["creating", "creating", "creating", "creating"]);
  expect(kit.service("web").data.healthState).toBe("initializing");
  kit.agents.behave();
  kit.agents.release();
  await kit.settle();
  expect(indexes()).toEqual([1, 2]);
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(4);
  expect(kit.service("web").data.currentScale).toBe(2);
});
