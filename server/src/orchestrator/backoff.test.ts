/**
 * A service whose every create fails (an image that does not exist) at scale 50: failed units are
 * replaced with a growing delay and fewer units each time, and their rows are purged once removed,
 * so the store does not fill with removed rows; once the cause is fixed the service comes up whole
 * and its failure count starts over.
 */
import { afterEach, expect, test } from "bun:test";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { retryBatch } from "./reconcile-service.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const dockerCompose = "version: '2'\nservices:\n  web:\n    image: corral/nope\n";
const rancherCompose = "version: '2'\nservices:\n  web:\n    scale: 50\n";

test("retries make half as many units after each failure in a row, at least one", () => {
  expect([0, 1, 2, 3, 4, 5, 6, 10].map((f) => retryBatch(50, f))).toEqual([50, 25, 13, 7, 4, 2, 1, 1]);
  expect(retryBatch(0, 3)).toBe(0);
});

test("scale 50 with every create failing writes a bounded number of container rows per minute", async () => {
  kit = OrchestratorKit.start();
  kit.agents.misbehave({ name: "instance.create" }, { kind: "fail", message: "image corral/nope not found" });
  const inserted: number[] = [];
  const stop = kit.store.onChange(({ row, previous }) => {
    if (row.type === "container" && previous === null) inserted.push(kit.clock.elapsed());
  });
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.advance(5 * 60_000, 250);
  stop();
  const perMinute = [0, 1, 2, 3, 4].map(
    (m) => inserted.filter((t) => t >= m * 60_000 && t < (m + 1) * 60_000).length,
  );
  console.log(`container rows inserted per minute: ${perMinute.join(", ")}`);
  // First minute: 50, then 25, 13, 7, 4, 2 after 1, 2, 4, 8, 16 s... (replacing all 50 at every
  // retry made 300); then one unit a minute at the longest delay.
  expect(perMinute[0]).toBeLessThanOrEqual(110);
  for (const n of perMinute.slice(1)) expect(n).toBeLessThanOrEqual(5);
  // Failed rows that never existed on a host are purged: what is left is the units in flight.
  const rows = kit.store.db
    .query<{ n: number }, []>("SELECT count(*) AS n FROM resource WHERE type = 'container'")
    .get()!.n;
  expect(rows).toBeLessThanOrEqual(5);
  const svc = kit.service("web");
  expect(svc.data.transitioningMessage).toContain("image corral/nope not found");
  expect(svc.data.failures).toBeGreaterThanOrEqual(6);

  // The image appears: the retry's units come up, the rest follow, and the count starts over.
  kit.agents.behave();
  await kit.until("the service is whole again", () => kit.service("web").data.currentScale === 50, 180_000);
  await kit.advance(5_000);
  const healed = kit.service("web");
  expect([healed.data.currentScale, healed.data.healthState, healed.data.failures]).toEqual([
    50,
    "healthy",
    0,
  ]);
}, 120_000);
