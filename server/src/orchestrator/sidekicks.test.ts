/**
 * Sidekicks on in-memory state: a unit's primary and sidekicks are placed on one host, created
 * providers first, and replaced together.
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
    command: httpd -f
    labels:
      io.rancher.sidekicks: log,data
    volumes_from: [data]
  log:
    image: corral/busybox
    command: sleep 3600
    network_mode: "container:web"
  data:
    image: corral/busybox
    command: "true"
    labels:
      io.rancher.container.start_once: "true"
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 3
`;

test("a unit's members share one host, and providers of volumes and network are created first", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const units = kit.units("web");
  expect(units.map((u) => u.createIndex)).toEqual([1, 2, 3]);
  for (const unit of units) {
    const n = unit.createIndex;
    expect(unit.containers.map((c) => c.name).sort()).toEqual([
      `shop-web-${n}`,
      `shop-web-data-${n}`,
      `shop-web-log-${n}`,
    ]);
    expect(new Set(unit.containers.map((c) => c.data.hostId))).toEqual(new Set([unit.hostId]));
    expect(new Set(unit.containers.map((c) => c.data.deploymentUnitUuid)).size).toBe(1);
    const log = unit.containers.find((c) => c.name === `shop-web-log-${n}`)!;
    expect(log.data.networkMode).toBe(`container:shop-web-${n}`);
    const web = unit.containers.find((c) => c.name === `shop-web-${n}`)!;
    expect(web.data.volumesFrom).toEqual([`shop-web-data-${n}`]);
    // data before web (web mounts its volumes), web before log (log joins its network).
    const order = kit.agents
      .sent({ name: "instance.create" })
      .filter((e) => e.containerName.endsWith(`-${n}`))
      .map((e) => e.containerName);
    expect(order).toEqual([`shop-web-data-${n}`, `shop-web-${n}`, `shop-web-log-${n}`]);
  }
  expect(new Set(units.map((u) => u.hostId)).size).toBe(3);
});

test("a failed sidekick replaces its whole unit, primary included, on one host", async () => {
  kit = OrchestratorKit.start();
  kit.agents.misbehave(
    { name: "instance.create", containerName: "shop-web-log-2" },
    { kind: "fail", message: "no space left on device" },
  );
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  // Unit 2 failed; its replacement waits out the first crash-loop delay.
  expect(kit.service("web").data.transitioningMessage).toBe("shop-web-log-2: no space left on device");
  await kit.advance(1100);
  const units = kit.units("web");
  expect(units.map((u) => u.createIndex)).toEqual([1, 3, 4]);
  const removed = kit.agents.sent({ name: "instance.remove" }).map((e) => e.containerName);
  expect(removed.sort()).toEqual(["shop-web-2", "shop-web-data-2", "shop-web-log-2"]);
  const replacement = units.find((u) => u.createIndex === 4)!;
  expect(replacement.containers).toHaveLength(3);
  expect(new Set(replacement.containers.map((c) => c.data.hostId)).size).toBe(1);
  expect(
    replacement.containers.every((c) => c.state === "running" || c.data.launchConfigName === "data"),
  ).toBe(true);
  expect(kit.service("web").data.currentScale).toBe(3);
});

test("a sidekick that exits is started again in its unit; a start_once member that exited 0 is left", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const unit = kit.units("web")[0]!;
  const log = unit.containers.find((c) => c.name === "shop-web-log-1")!;
  const data = unit.containers.find((c) => c.name === "shop-web-data-1")!;
  kit.agents.exit(kit.store.publicId(log), 137);
  kit.agents.exit(kit.store.publicId(data), 0);
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.start" }).map((e) => e.containerName)).toEqual(["shop-web-log-1"]);
  const after = kit.units("web")[0]!;
  expect(after.uuid).toBe(unit.uuid);
  expect(after.containers.find((c) => c.id === log.id)?.state).toBe("running");
  expect(after.containers.find((c) => c.id === data.id)?.state).toBe("stopped");
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(0);
});

test("stopped units start their primary first: a sidekick joining its network waits for it", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, "version: '2'\nservices:\n  web:\n    scale: 1\n");
  await kit.settle();
  const web = formatId("service", kit.service("web").id);
  deactivateService(kit.ctx, web);
  await kit.until("web inactive", () => kit.service("web").state === "inactive");
  kit.agents.misbehave({ name: "instance.start", containerName: "shop-web-1" }, { kind: "hold" });
  const from = kit.agents.events.length;
  activateService(kit.ctx, web);
  const starts = () =>
    kit.agents.events
      .slice(from)
      .filter((e) => e.name === "instance.start")
      .map((e) => e.containerName);
  await kit.until("the primary's start sent", () => starts().includes("shop-web-1"));
  await kit.advance(500);
  // Held: Docker would refuse the log sidekick (network_mode container:shop-web-1) until it runs.
  expect(starts()).not.toContain("shop-web-log-1");
  kit.agents.release({ name: "instance.start", containerName: "shop-web-1" });
  await kit.until("the sidekick's start sent", () => starts().includes("shop-web-log-1"));
  await kit.until("web active", () => kit.service("web").state === "active");
});
