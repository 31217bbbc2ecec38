/**
 * Service lifecycle on in-memory state: removal (which waits for every container, even on a host
 * that is away) and the rolling restart runner.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { removeService, restartService, rollbackService, upgradeService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
    labels:
      io.rancher.sidekicks: log
  log:
    image: corral/busybox
    command: sleep 3600
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 3
    health_check:
      port: 80
`;

test("a removed service removes every container, then itself", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const svc = kit.service("web");
  removeService(kit.ctx, formatId("service", svc.id));
  await kit.settle();
  expect(kit.row("service", formatId("service", svc.id)).state).toBe("removed");
  expect(kit.agents.sent({ name: "instance.remove" })).toHaveLength(6);
  for (const host of kit.hostIds) expect(kit.agents.containersOn(host)).toEqual([]);
});

test("removal waits for the containers of a host that is away, and ends when that host is removed", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const svc = kit.service("web");
  kit.disconnectHost(kit.hostIds[2]!);
  await kit.settle();
  removeService(kit.ctx, formatId("service", svc.id));
  await kit.advance(30_000);
  expect(kit.row("service", formatId("service", svc.id)).state).toBe("removing");
  kit.removeHost(kit.hostIds[2]!);
  await kit.settle();
  expect(kit.row("service", formatId("service", svc.id)).state).toBe("removed");
});

test("a rolling restart restarts one batch at a time, each healthy before the next", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  kit.agents.health = () => null;
  const svc = kit.service("web");
  restartService(kit.ctx, formatId("service", svc.id), {
    rollingRestartStrategy: { batchSize: 2, intervalMillis: 1000 },
  });
  await kit.settle();
  const restarted = () => kit.agents.sent({ name: "instance.restart" }).map((e) => e.containerName);
  expect(restarted().sort()).toEqual(["shop-web-1", "shop-web-2", "shop-web-log-1", "shop-web-log-2"]);
  // The batch is not healthy yet: the restart waits.
  await kit.advance(5000);
  expect(restarted()).toHaveLength(4);
  for (const unit of kit.units("web").slice(0, 2)) {
    kit.agents.reportHealth(
      formatId("container", unit.containers.find((c) => c.data.healthCheck)!.id),
      "healthy",
    );
  }
  await kit.until("the second batch", () => restarted().length === 6);
  expect(restarted().slice(4).sort()).toEqual(["shop-web-3", "shop-web-log-3"]);
  const third = kit.units("web")[2]!;
  kit.agents.reportHealth(
    formatId("container", third.containers.find((c) => c.data.healthCheck)!.id),
    "healthy",
  );
  await kit.until("web active", () => kit.service("web").state === "active");
  expect(kit.service("web").data.healthState).toBe("healthy");
});

test("a restart asked while an ended upgrade's runner still sleeps runs once that runner is done", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const id = formatId("service", kit.service("web").id);
  const launchConfig = { ...kit.service("web").data.launchConfig!, environment: { VERSION: "2" } };
  upgradeService(kit.ctx, id, {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 60_000, startFirst: true },
  });
  // The first batch is done and the upgrade runner sleeps its interval: roll back meanwhile.
  await kit.until("one new unit", () => kit.units("web").some((u) => u.version === "1"));
  await kit.settle();
  rollbackService(kit.ctx, id);
  await kit.until("web active again", () => kit.service("web").state === "active");
  const from = kit.agents.sent({ name: "instance.restart" }).length;
  restartService(kit.ctx, id, { rollingRestartStrategy: { batchSize: 3, intervalMillis: 0 } });
  // The restart used to be dropped (the sleeping upgrade runner held the service), leaving it
  // `restarting` for good: no scale, no upgrade, `rancher wait` never returned.
  await kit.advance(61_000);
  await kit.until("web restarted", () => kit.service("web").state === "active");
  expect(kit.agents.sent({ name: "instance.restart" }).length - from).toBe(6);
});
