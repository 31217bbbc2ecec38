import { afterEach, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { FakeOsFleet } from "../../testing/fake-os-fleet.ts";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import type { HostFields } from "../model/host.ts";
import type { VerbContext } from "./context.ts";
import {
  endInterruptedOsRollouts,
  type HostOsUpgrade,
  type OsRollout,
  startHostOsUpgrade,
  startOsRollout,
} from "./os-rollout.ts";

let kit: OrchestratorKit | undefined;
afterEach(() => kit?.close());

/** An environment of CorralOS hosts on 0.1.0, the fleet answering host.osupgrade. */
function setup(hosts = 3) {
  kit = OrchestratorKit.start({ hosts: Array.from({ length: hosts }, () => ({})) });
  const k = kit;
  const fleet = new FakeOsFleet(k.store, k.agents);
  for (const id of k.hostIds) fleet.setOs(id, "0.1.0");
  const ctx: VerbContext = { ...k.ctx, dispatcher: fleet };
  const rollout = () => k.row<{ osRollout?: OsRollout }>("project", k.projectId).data.osRollout!;
  const hostUpgrade = (id: string) => k.row<{ osUpgrade?: HostOsUpgrade }>("host", id).data.osUpgrade;
  const osOf = (id: string) => k.row<HostFields>("host", id).data.info?.corralOs;
  const audits = () =>
    k.store
      .all<{ eventType: string; resourceId: string; responseCode: number; description: string }>("auditLog")
      .map((r) => r.data)
      .filter((d) => d.eventType.startsWith("os.upgrade"));
  return { k, fleet, ctx, rollout, hostUpgrade, osOf, audits };
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

test("hosts are upgraded one at a time, each only after the one before came back healthy", async () => {
  const { k, fleet, ctx, rollout, hostUpgrade, osOf, audits } = setup();
  const [h1, h2, h3] = k.hostIds as [string, string, string];
  // Every state each host passes through while others are upgrading.
  const seen: string[] = [];
  const stop = k.watch(() => {
    const line = k.hostIds.map((id) => hostUpgrade(id)?.state ?? "-").join(" ");
    if (seen.at(-1) !== line) seen.push(line);
  });
  startOsRollout(ctx, k.projectId, { version: "0.2.0", batchSize: 1 });
  expect(rollout()).toMatchObject({ state: "running", hostIds: [h1, h2, h3] });
  await k.until("the rollout to end", () => rollout().state !== "running" && rollout(), 300_000);
  stop();
  expect(rollout()).toMatchObject({ state: "done", current: null });
  expect(fleet.upgrades.map((u) => u.hostId)).toEqual([h1, h2, h3]);
  expect(fleet.upgrades[0]!.data).toEqual({ version: "0.2.0" });
  for (const id of k.hostIds) {
    expect(osOf(id)).toMatchObject({ version: "0.2.0", lastBoot: { outcome: "healthy" } });
    expect(hostUpgrade(id)).toMatchObject({ state: "done", target: "0.2.0", fromVersion: "0.1.0" });
  }
  // Never two hosts at once: while one is upgrading or rebooting, every other is queued or done.
  for (const line of seen) {
    const busy = line.split(" ").filter((s) => s === "upgrading" || s === "rebooting");
    expect(busy.length).toBeLessThanOrEqual(1);
  }
  // The gate: the next host starts only after the one before passed its trial (reboot + gate time).
  for (let i = 1; i < fleet.upgrades.length; i++)
    expect(fleet.upgrades[i]!.at - fleet.upgrades[i - 1]!.at).toBeGreaterThanOrEqual(
      fleet.rebootMs + fleet.gateMs,
    );
  expect(audits().map((a) => [a.resourceId, a.responseCode, a.description])).toEqual([
    [h1, 200, "upgraded to 0.2.0"],
    [h2, 200, "upgraded to 0.2.0"],
    [h3, 200, "upgraded to 0.2.0"],
  ]);
});

test("a host that comes back on its old build stops the rollout with the gate's reason", async () => {
  const { k, fleet, ctx, rollout, hostUpgrade, osOf, audits } = setup();
  const [h1, h2, h3] = k.hostIds as [string, string, string];
  fleet.play(h2, {
    kind: "rollback",
    reason: "slot B (0.2.0) failed: not healthy 300s after kernel start: user-docker: starting",
  });
  startOsRollout(ctx, k.projectId, { image: "0.2.0" });
  await k.until("the rollout to end", () => rollout().state !== "running" && rollout(), 300_000);
  expect(rollout().state).toBe("failed");
  expect(rollout().reason).toBe(
    `host ${h2}: rolled back to 0.1.0: slot B (0.2.0) failed: not healthy 300s after kernel start: user-docker: starting`,
  );
  expect(fleet.upgrades.map((u) => u.hostId)).toEqual([h1, h2]);
  expect(hostUpgrade(h1)?.state).toBe("done");
  expect(hostUpgrade(h2)).toMatchObject({
    state: "failed",
    reason: expect.stringContaining("user-docker: starting"),
  });
  expect(hostUpgrade(h3)).toMatchObject({ state: "skipped", reason: `stopped at host ${h2}` });
  // The host's own record says so too, in the API.
  expect(osOf(h2)).toMatchObject({ version: "0.1.0", lastBoot: { outcome: "rolled-back" } });
  expect(osOf(h3)?.version).toBe("0.1.0");
  expect(audits().map((a) => [a.resourceId, a.responseCode])).toEqual([
    [h1, 200],
    [h2, 500],
  ]);
});

test("a host that does not come back within the deadline stops the rollout", async () => {
  const { k, fleet, ctx, rollout, hostUpgrade } = setup(2);
  const [h1, h2] = k.hostIds as [string, string];
  fleet.play(h1, { kind: "silent" });
  startOsRollout(ctx, k.projectId, { version: "0.2.0", deadlineSeconds: 120 });
  await k.advance(119_000, 1000);
  expect(rollout().state).toBe("running");
  await k.until("the rollout to end", () => rollout().state !== "running" && rollout(), 10_000);
  expect(rollout()).toMatchObject({
    state: "failed",
    reason: `host ${h1}: not back healthy on 0.2.0 within 120 s: it did not come back`,
  });
  expect(fleet.upgrades.map((u) => u.hostId)).toEqual([h1]);
  expect(hostUpgrade(h2)?.state).toBe("skipped");
});

test("an agent's refusal stops the rollout in the agent's words", async () => {
  const { k, fleet, ctx, rollout } = setup(2);
  fleet.play(k.hostIds[0]!, {
    kind: "refuse",
    message: "corral os upgrade: version 0.2.0 is not in the channel",
  });
  startOsRollout(ctx, k.projectId, { version: "0.2.0" });
  await k.until("the rollout to end", () => rollout().state !== "running" && rollout());
  expect(rollout().reason).toBe(
    `host ${k.hostIds[0]}: corral os upgrade: version 0.2.0 is not in the channel`,
  );
  expect(fleet.upgrades).toHaveLength(1);
});

test("only CorralOS hosts installed to disk are eligible; bad input is refused and changes nothing", async () => {
  const { k, fleet, ctx, rollout, hostUpgrade } = setup();
  const [h1, h2, h3] = k.hostIds as [string, string, string];
  fleet.setOs(h3, null);
  const debian = refusal(() => startOsRollout(ctx, k.projectId, { version: "0.2.0", hostIds: [h1, h3] }));
  expect(debian.status).toBe(422);
  expect(debian.message).toContain(
    `host ${h3} (host3) does not run CorralOS (it runs Debian GNU/Linux 12 (bookworm))`,
  );
  const single = refusal(() => startHostOsUpgrade(ctx, h3, { version: "0.2.0" }));
  expect(single.status).toBe(422);
  for (const garbage of [
    {},
    { version: "../../etc" },
    { version: "0.2.0", file: "/var/lib/corral/r.tar" },
    { file: "/etc/shadow" },
    { version: "0.2.0", batchSize: 2 },
    { version: "0.2.0", channel: "ftp://x" },
    { version: "0.2.0", deadlineSeconds: 1 },
    { version: "0.2.0", extra: true },
  ]) {
    const e = refusal(() => startOsRollout(ctx, k.projectId, garbage));
    expect([e.status, JSON.stringify(garbage)]).toEqual([422, JSON.stringify(garbage)]);
  }
  expect(k.row<{ osRollout?: OsRollout }>("project", k.projectId).data.osRollout).toBeUndefined();
  expect(k.hostIds.map(hostUpgrade)).toEqual([undefined, undefined, undefined]);
  // The environment's form takes its CorralOS hosts and leaves the others out.
  startOsRollout(ctx, k.projectId, { version: "0.2.0" });
  expect(rollout().hostIds).toEqual([h1, h2]);
  const twice = refusal(() => startOsRollout(ctx, k.projectId, { version: "0.2.0" }));
  expect([twice.status, twice.message]).toEqual([409, expect.stringContaining("is running")]);
  await k.until("the rollout to end", () => rollout().state === "done", 300_000);
});

test("a rollout left running by a restarted server ends failed, and a new one can start", async () => {
  const { k, ctx, rollout, hostUpgrade, audits } = setup(2);
  const [h1, h2] = k.hostIds as [string, string];
  // As the last process left it: the first host rebooting, the second queued, no runner.
  k.store.update(k.row("project", k.projectId).id, {
    data: {
      osRollout: {
        id: "old",
        state: "running",
        request: { version: "0.2.0" },
        hostIds: [h1, h2],
        current: h1,
        startedAt: 0,
        endedAt: null,
      } satisfies OsRollout,
    },
  });
  for (const [id, state] of [
    [h1, "rebooting"],
    [h2, "queued"],
  ] as const)
    k.store.update(k.row("host", id).id, {
      data: { osUpgrade: { state, rolloutId: "old", target: "0.2.0", fromVersion: "0.1.0", at: 0 } },
    });
  expect(refusal(() => startOsRollout(ctx, k.projectId, { version: "0.2.0" })).status).toBe(409);
  endInterruptedOsRollouts(k.store);
  expect(rollout()).toMatchObject({
    state: "failed",
    reason: expect.stringContaining("the server restarted"),
  });
  expect([hostUpgrade(h1)?.state, hostUpgrade(h2)?.state]).toEqual(["failed", "skipped"]);
  expect(audits().map((a) => a.description)).toEqual([expect.stringContaining("the server restarted")]);
  startOsRollout(ctx, k.projectId, { version: "0.2.0" });
  await k.until("the new rollout to end", () => rollout().state === "done", 300_000);
});
