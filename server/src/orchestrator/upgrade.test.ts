/**
 * In-service upgrade on in-memory state, through the service verbs: batch size, interval,
 * start-first against stop-first, a failed batch, cancel, finish and rollback.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId, type LaunchConfig } from "@corral/api";
import type { SentEvent } from "../../testing/fake-agents.ts";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { cancelUpgrade, finishUpgrade, rollbackService, upgradeService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
    environment:
      VERSION: "1"
    labels:
      io.rancher.sidekicks: log
  log:
    image: corral/busybox
    command: sleep 3600
    network_mode: "container:web"
`;
const rancherCompose = (scale: number) => `version: '2'
services:
  web:
    scale: ${scale}
    health_check:
      port: 80
      interval: 2000
`;

/** Starts an upgrade of web to VERSION=2 with this strategy. */
function upgrade(strategy: { batchSize: number; intervalMillis: number; startFirst: boolean }): void {
  const svc = kit.service("web");
  const launchConfig: LaunchConfig = { ...svc.data.launchConfig!, environment: { VERSION: "2" } };
  upgradeService(kit.ctx, formatId("service", svc.id), { inServiceStrategy: { launchConfig, ...strategy } });
}

/** Running units whose every container is healthy (or has no check), by version. */
function serving(): { old: number; fresh: number } {
  const ok = kit
    .units("web")
    .filter((u) => u.containers.every((c) => c.state === "running" && c.data.healthState !== "unhealthy"))
    .filter((u) => u.containers.every((c) => !c.data.healthCheck || c.data.healthState === "healthy"));
  return {
    old: ok.filter((u) => u.version === "0").length,
    fresh: ok.filter((u) => u.version === "1").length,
  };
}

/**
 * The fewest units serving (old and new together) in any state the rows pass through from now on,
 * and when that was; `stop()` ends the watch.
 */
function lowWater(): { stop: () => void; low: () => number } {
  let low = Number.POSITIVE_INFINITY;
  const stop = kit.watch(() => {
    const s = serving();
    low = Math.min(low, s.old + s.fresh);
  });
  return { stop, low: () => low };
}

/** Primary-container events, as `create 4` / `stop 1`. */
function primaryEvents(events: SentEvent[]): string[] {
  return events
    .filter((e) => /^shop-web-\d+$/.test(e.containerName))
    .map((e) => `${e.name.replace("instance.", "")} ${e.containerName.replace("shop-web-", "")}`);
}

async function deploy(scale: number): Promise<number> {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose(scale));
  await kit.settle();
  expect(serving()).toEqual({ old: scale, fresh: 0 });
  return kit.agents.events.length;
}

test("start-first, batch 1: each new unit is healthy before an old one stops, never fewer than scale", async () => {
  const from = await deploy(3);
  const water = lowWater();
  upgrade({ batchSize: 1, intervalMillis: 2000, startFirst: true });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  water.stop();
  expect(water.low()).toBe(3);
  expect(primaryEvents(kit.agents.events.slice(from))).toEqual([
    "create 4",
    "stop 1",
    "create 5",
    "stop 2",
    "create 6",
    "stop 3",
  ]);
  // The old units stay, stopped, for a rollback; the new ones run the new launch config.
  const units = kit.units("web");
  expect(units.filter((u) => u.version === "0").flatMap((u) => u.containers.map((c) => c.state))).toEqual(
    Array(6).fill("stopped"),
  );
  const fresh = units.filter((u) => u.version === "1");
  expect(fresh.map((u) => u.createIndex)).toEqual([4, 5, 6]);
  for (const u of fresh) {
    const web = u.containers.find((c) => c.data.launchConfigName === "")!;
    expect(web.data.environment).toEqual({ VERSION: "2" });
    expect(u.containers).toHaveLength(2);
  }
  const svc = kit.service("web");
  expect([svc.data.currentScale, svc.data.healthState]).toEqual([3, "healthy"]);
});

test("stop-first, batch 2: a batch of old units stops before its replacements are created", async () => {
  const from = await deploy(4);
  const water = lowWater();
  upgrade({ batchSize: 2, intervalMillis: 1000, startFirst: false });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  water.stop();
  expect(primaryEvents(kit.agents.events.slice(from))).toEqual([
    "stop 1",
    "stop 2",
    "create 5",
    "create 6",
    "stop 3",
    "stop 4",
    "create 7",
    "create 8",
  ]);
  // Stop-first gives up at most one batch of capacity, and no more.
  expect(water.low()).toBe(2);
  expect(serving()).toEqual({ old: 0, fresh: 4 });
});

test("the next batch waits intervalMillis after the previous one is done", async () => {
  const from = await deploy(3);
  upgrade({ batchSize: 1, intervalMillis: 10_000, startFirst: true });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded", 120_000);
  const events = kit.agents.events.slice(from).filter((e) => /^shop-web-\d+$/.test(e.containerName));
  const stops = events.filter((e) => e.name === "instance.stop");
  const creates = events.filter((e) => e.name === "instance.create");
  expect(creates).toHaveLength(3);
  for (let i = 1; i < creates.length; i++) {
    // From the previous batch's last step (its old unit stopping) to this batch's first.
    const gap = creates[i]!.at - stops[i - 1]!.at;
    expect(gap).toBeGreaterThanOrEqual(10_000);
    expect(gap).toBeLessThan(10_500);
  }
});

test("finish removes the old units and returns the service to active", async () => {
  await deploy(2);
  upgrade({ batchSize: 1, intervalMillis: 0, startFirst: true });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  const old = kit.units("web").filter((u) => u.version === "0");
  finishUpgrade(kit.ctx, formatId("service", kit.service("web").id));
  await kit.until("web active", () => kit.service("web").state === "active");
  const svc = kit.service("web");
  expect(svc.data.upgrade).toBeUndefined();
  expect(svc.data.version).toBe("1");
  expect(kit.units("web").map((u) => [u.createIndex, u.version])).toEqual([
    [3, "1"],
    [4, "1"],
  ]);
  const removed = kit.agents.sent({ name: "instance.remove" }).map((e) => e.containerId);
  expect(removed.sort()).toEqual(
    old.flatMap((u) => u.containers.map((c) => formatId("container", c.id))).sort(),
  );
});

test("rollback starts the old units again, then removes the new ones and restores the launch config", async () => {
  await deploy(2);
  const oldIds = kit.containers("web").map((c) => c.id);
  upgrade({ batchSize: 1, intervalMillis: 0, startFirst: true });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  const from = kit.agents.events.length;
  const water = lowWater();
  rollbackService(kit.ctx, formatId("service", kit.service("web").id));
  await kit.until("web active", () => kit.service("web").state === "active");
  water.stop();
  const svc = kit.service("web");
  expect(svc.data.version).toBe("0");
  expect(svc.data.launchConfig?.environment).toEqual({ VERSION: "1" });
  expect(svc.data.upgrade).toBeUndefined();
  expect(kit.containers("web").map((c) => c.id)).toEqual(oldIds);
  expect(kit.containers("web").every((c) => c.state === "running")).toBe(true);
  // The old units serve again before the new ones go: never below scale.
  expect(water.low()).toBe(2);
  const order = primaryEvents(kit.agents.events.slice(from));
  expect(order.slice(0, 2).sort()).toEqual(["start 1", "start 2"]);
  expect(order.slice(2).sort()).toEqual(["remove 3", "remove 4"]);
  expect(kit.service("web").data.healthState).toBe("healthy");
});

test("a new unit that fails pauses the upgrade with the old units still serving; rollback recovers", async () => {
  const from = await deploy(2);
  kit.agents.misbehave(
    { name: "instance.create", containerName: "shop-web-3" },
    { kind: "fail", message: "pull failed" },
  );
  upgrade({ batchSize: 1, intervalMillis: 0, startFirst: true });
  await kit.until("the upgrade paused", () => kit.service("web").data.transitioningMessage);
  await kit.advance(30_000);
  const svc = kit.service("web");
  expect(svc.state).toBe("upgrading");
  expect(svc.data.transitioningMessage).toContain("did not become healthy");
  expect(serving()).toEqual({ old: 2, fresh: 0 });
  // Paused: no more units were tried.
  expect(primaryEvents(kit.agents.events.slice(from))).toEqual(["create 3"]);

  rollbackService(kit.ctx, formatId("service", svc.id));
  await kit.until("web active", () => kit.service("web").state === "active");
  expect(kit.units("web").map((u) => [u.createIndex, u.version])).toEqual([
    [1, "0"],
    [2, "0"],
  ]);
  expect(serving()).toEqual({ old: 2, fresh: 0 });
});

test("cancelupgrade stops between batches; finish from there keeps what was upgraded", async () => {
  const from = await deploy(3);
  upgrade({ batchSize: 1, intervalMillis: 10_000, startFirst: true });
  await kit.until("the first batch", () => primaryEvents(kit.agents.events.slice(from)).includes("stop 1"));
  cancelUpgrade(kit.ctx, formatId("service", kit.service("web").id));
  await kit.advance(60_000);
  expect(kit.service("web").state).toBe("canceled-upgrade");
  expect(primaryEvents(kit.agents.events.slice(from))).toEqual(["create 4", "stop 1"]);

  finishUpgrade(kit.ctx, formatId("service", kit.service("web").id));
  await kit.until("web active", () => kit.service("web").state === "active");
  // Finish removes the stopped old unit; the reconciler brings the service back to scale with
  // units of the new version.
  expect(kit.units("web").map((u) => [u.createIndex, u.version])).toEqual([
    [4, "1"],
    [5, "1"],
    [6, "1"],
  ]);
});

test("stop-first frees the host port of the units it stopped: their replacements take it", async () => {
  kit = OrchestratorKit.start({ hosts: [{}, {}] });
  kit.createStack(
    "shop",
    `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
    ports: ["8080:80"]
`,
    "version: '2'\nservices:\n  web:\n    scale: 2\n",
  );
  await kit.settle();
  const water = lowWater();
  upgrade({ batchSize: 1, intervalMillis: 1000, startFirst: false });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  water.stop();
  expect(water.low()).toBe(1);
  const units = kit.units("web");
  expect(units.map((u) => [u.createIndex, u.version, u.containers[0]!.state])).toEqual([
    [1, "0", "stopped"],
    [2, "0", "stopped"],
    [3, "1", "running"],
    [4, "1", "running"],
  ]);
  // One new unit per host, where an old one stopped.
  expect(new Set(units.filter((u) => u.version === "1").map((u) => u.hostId)).size).toBe(2);
  expect(kit.service("web").data.schedulingMessage ?? "").toBe("");
});

test.each([true, false])(
  "new units no host can take pause the upgrade before more old units stop (start-first %p)",
  async (startFirst) => {
    const from = await deploy(3);
    const svc = kit.service("web");
    const launchConfig: LaunchConfig = {
      ...svc.data.launchConfig!,
      labels: { ...svc.data.launchConfig!.labels, "io.rancher.scheduler.affinity:host_label": "role=none" },
    };
    upgradeService(kit.ctx, formatId("service", svc.id), {
      inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 1000, startFirst },
    });
    await kit.until("the upgrade paused", () => kit.service("web").data.transitioningMessage);
    await kit.advance(30_000);
    const paused = kit.service("web");
    expect(paused.state).toBe("upgrading");
    expect(paused.data.schedulingMessage).toContain("role=none");
    // Start-first stops nothing; stop-first stops its first batch only.
    expect(primaryEvents(kit.agents.events.slice(from))).toEqual(startFirst ? [] : ["stop 1"]);
    expect(serving()).toEqual({ old: startFirst ? 3 : 2, fresh: 0 });

    rollbackService(kit.ctx, formatId("service", paused.id));
    await kit.until("web active", () => kit.service("web").state === "active");
    expect(serving()).toEqual({ old: 3, fresh: 0 });
  },
);

test("an upgrade paused for want of a host goes on once a host it may use appears", async () => {
  await deploy(2);
  const svc = kit.service("web");
  const launchConfig: LaunchConfig = {
    ...svc.data.launchConfig!,
    labels: { ...svc.data.launchConfig!.labels, "io.rancher.scheduler.affinity:host_label": "role=web" },
  };
  upgradeService(kit.ctx, formatId("service", svc.id), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 1000, startFirst: true },
  });
  await kit.until("the upgrade paused", () => kit.service("web").data.transitioningMessage);
  expect(kit.service("web").data.transitioningMessage).toContain("waiting for a host");
  // A change that cannot help (another label) leaves it paused; the right label lets it go on.
  kit.setHostLabels(kit.hostIds[0]!, { role: "db" });
  await kit.advance(5_000);
  expect(kit.service("web").state).toBe("upgrading");
  expect(serving()).toEqual({ old: 2, fresh: 0 });
  kit.setHostLabels(kit.hostIds[0]!, { role: "web" });
  await kit.until("web upgraded", () => kit.service("web").state === "upgraded");
  expect(serving()).toEqual({ old: 0, fresh: 2 });
  expect(kit.service("web").data.transitioningMessage ?? "").toBe("");
});
