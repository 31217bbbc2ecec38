/**
 * Rollback of a stop-first upgrade while the first old unit is still draining (`stopping`): the
 * old unit is started again once its stop ended, the upgrade adds no unit after the rollback took
 * over, and the service ends active with its old units only.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId, type LaunchConfig } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { rollbackService, upgradeService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

test("a rollback during the drain of a stop-first batch starts that unit again and ends active", async () => {
  kit = OrchestratorKit.start({ drainMs: 3000 });
  kit.createStack(
    "shop",
    "version: '2'\nservices:\n  web:\n    image: corral/busybox\n",
    "version: '2'\nservices:\n  web:\n    scale: 2\n",
  );
  await kit.settle();
  const svc = kit.service("web");
  const launchConfig: LaunchConfig = { ...svc.data.launchConfig!, imageUuid: "docker:corral/busybox:next" };
  upgradeService(kit.ctx, formatId("service", svc.id), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 0, startFirst: false },
  });
  await kit.until("an old unit draining", () =>
    kit.units("web").some((u) => u.containers[0]?.state === "stopping"),
  );
  rollbackService(kit.ctx, formatId("service", svc.id));
  await kit.until("web active", () => kit.service("web").state === "active", 60_000);
  await kit.advance(10_000);
  expect(kit.service("web").state).toBe("active");
  expect(kit.units("web").map((u) => [u.createIndex, u.version, u.containers[0]!.state])).toEqual([
    [1, "0", "running"],
    [2, "0", "running"],
  ]);
  expect(kit.service("web").data.launchConfig?.imageUuid).toBe(svc.data.launchConfig!.imageUuid);
});
