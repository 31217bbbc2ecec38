/**
 * Rollback of an upgrade whose new units never report health (a health check added by the
 * upgrade, on hosts whose checks never answer): the old units come back and the service ends active.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId, type LaunchConfig, launchConfigSchema } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { rollbackService, upgradeService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

// Stop-first, the UI's default.
const startFirst = false;

test("a stop-first rollback while the new unit is still initializing ends active with the old unit", async () => {
  kit = OrchestratorKit.start();
  kit.createStack(
    "shop",
    "version: '2'\nservices:\n  web:\n    image: corral/busybox\n",
    "version: '2'\nservices:\n  web:\n    scale: 1\n",
  );
  await kit.settle();
  kit.agents.health = () => null;
  const svc = kit.service("web");
  const launchConfig: LaunchConfig = {
    ...svc.data.launchConfig!,
    imageUuid: "docker:corral/busybox:next",
    healthCheck: launchConfigSchema.shape.healthCheck.parse({ port: 80, interval: 2000 }),
  };
  upgradeService(kit.ctx, formatId("service", svc.id), {
    inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 2000, startFirst },
  });
  await kit.until("the new unit runs", () =>
    kit.units("web").some((u) => u.version !== "0" && u.containers[0]?.state === "running"),
  );
  await kit.advance(5_000);
  expect(kit.service("web").state).toBe("upgrading");
  rollbackService(kit.ctx, formatId("service", svc.id));
  await kit.until("web active", () => kit.service("web").state === "active");
  expect(kit.units("web").map((u) => [u.version, u.containers[0]!.state])).toEqual([["0", "running"]]);
  expect(kit.service("web").data.launchConfig?.healthCheck).toBeUndefined();
  // The upgrade's runner, still waiting for the new unit, sees the rollback on its next look and
  // ends without a note (left waiting on this kit's clock, it would hold the service id's turn).
  await kit.advance(1_000);
  expect(kit.service("web").data.transitioningMessage ?? "").toBe("");
});
