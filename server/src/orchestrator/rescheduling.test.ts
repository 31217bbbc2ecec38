/**
 * Rescheduling on in-memory state: units of a host that is removed, evacuated or whose agent is
 * disconnected (for health-checked services) are placed again on the other hosts, and what was left
 * behind is cleaned up when the host comes back.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { evacuateHost } from "../services/hosts.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const compose = (healthCheck: boolean) => [
  `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
`,
  `version: '2'
services:
  web:
    scale: 3
${healthCheck ? "    health_check:\n      port: 80\n" : ""}`,
];

async function deploy(healthCheck: boolean): Promise<void> {
  kit = OrchestratorKit.start();
  const [dc, rc] = compose(healthCheck);
  kit.createStack("shop", dc!, rc);
  await kit.settle();
  expect(new Set(kit.units("web").map((u) => u.hostId)).size).toBe(3);
}

/** Running units per host number (from 1). */
function runningOn(): Record<number, number> {
  const out: Record<number, number> = {};
  for (const u of kit.units("web")) {
    if (!u.containers.every((c) => c.state === "running")) continue;
    const n = kit.hostIds.indexOf(u.hostId!) + 1;
    out[n] = (out[n] ?? 0) + 1;
  }
  return out;
}

test("the units of a removed host are placed on the remaining hosts", async () => {
  await deploy(false);
  kit.removeHost(kit.hostIds[2]!);
  await kit.settle();
  const on = runningOn();
  expect(on[3]).toBeUndefined();
  expect((on[1] ?? 0) + (on[2] ?? 0)).toBe(3);
  expect(kit.units("web").map((u) => u.createIndex)).toEqual([1, 2, 4]);
  // Nothing is sent to a host that is gone.
  expect(kit.agents.sent({ hostId: kit.hostIds[2]! }).filter((e) => e.name !== "instance.create")).toEqual(
    [],
  );
  expect(kit.service("web").data.healthState).toBe("healthy");
});

test("evacuate moves a host's units to the others; the host gets no new ones", async () => {
  await deploy(false);
  evacuateHost(kit.ctx, kit.hostIds[0]!);
  await kit.settle();
  const on = runningOn();
  expect(on[1]).toBeUndefined();
  expect((on[2] ?? 0) + (on[3] ?? 0)).toBe(3);
  expect(kit.agents.sent({ name: "instance.remove", hostId: kit.hostIds[0]! })).toHaveLength(1);
  kit.scale("web", 5);
  await kit.settle();
  expect(runningOn()[1]).toBeUndefined();
});

test("a health-checked service's units on a disconnected host are replaced, and removed when it returns", async () => {
  await deploy(true);
  const lost = kit.units("web").find((u) => u.hostId === kit.hostIds[2])!;
  kit.disconnectHost(kit.hostIds[2]!);
  await kit.settle();
  const on = runningOn();
  expect(on[3]).toBeUndefined();
  expect((on[1] ?? 0) + (on[2] ?? 0)).toBe(3);
  // The lost unit waits to be removed until its host's agent can be told.
  const waiting = kit.row<{ transitioningMessage: string }>(
    "container",
    formatId("container", lost.containers[0]!.id),
  );
  expect(waiting.state).toBe("removing");
  expect(waiting.data.transitioningMessage).toContain("reconnect");
  expect(kit.service("web").data.currentScale).toBe(3);

  kit.reconnectHost(kit.hostIds[2]!);
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.remove", hostId: kit.hostIds[2]! })).toHaveLength(1);
  expect(kit.row("container", formatId("container", lost.containers[0]!.id)).state).toBe("removed");
  expect(kit.agents.containersOn(kit.hostIds[2]!)).toEqual([]);
  expect(kit.units("web")).toHaveLength(3);
});

test("without a health check, units on a disconnected host stay where they are", async () => {
  await deploy(false);
  const creates = kit.agents.sent({ name: "instance.create" }).length;
  kit.disconnectHost(kit.hostIds[2]!);
  await kit.advance(60_000);
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(creates);
  expect(runningOn()).toEqual({ 1: 1, 2: 1, 3: 1 });
  kit.reconnectHost(kit.hostIds[2]!);
  await kit.settle();
  expect(runningOn()).toEqual({ 1: 1, 2: 1, 3: 1 });
  expect(kit.agents.sent({ name: "instance.remove" })).toEqual([]);
});

test("a host that is only reconnecting keeps its units, health check or not", async () => {
  await deploy(true);
  kit.agents.disconnect(kit.hostIds[2]!);
  kit.setAgentState(kit.hostIds[2]!, "reconnecting");
  await kit.advance(10_000);
  expect(runningOn()).toEqual({ 1: 1, 2: 1, 3: 1 });
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(3);
});

test("while a host is disconnected, new units go to the connected hosts only", async () => {
  await deploy(false);
  kit.disconnectHost(kit.hostIds[0]!);
  kit.scale("web", 6);
  await kit.settle();
  const on = runningOn();
  expect(on[1]).toBe(1);
  expect((on[2] ?? 0) + (on[3] ?? 0)).toBe(5);
  expect(kit.agents.sent({ name: "instance.create", hostId: kit.hostIds[0]! })).toHaveLength(1);
});

test("a create cut off by its host's disconnection is sent again when the agent comes back", async () => {
  kit = OrchestratorKit.start({ hosts: [{}] });
  kit.agents.misbehave({ name: "instance.create" }, { kind: "hold" }, 1);
  const [dc] = compose(false);
  kit.createStack("shop", dc!);
  await kit.settle();
  expect(kit.agents.heldEvents()).toHaveLength(1);
  kit.disconnectHost(kit.hostIds[0]!);
  await kit.advance(30_000);
  const [c] = kit.containers("web");
  expect(c!.state).toBe("creating");
  expect(c!.data.transitioningMessage).toContain("waiting for the host");
  kit.reconnectHost(kit.hostIds[0]!);
  await kit.settle();
  expect(kit.agents.sent({ name: "instance.create" }).map((e) => e.containerId)).toEqual([
    formatId("container", c!.id),
    formatId("container", c!.id),
  ]);
  expect(kit.containers("web").map((x) => [x.id, x.state])).toEqual([[c!.id, "running"]]);
});
