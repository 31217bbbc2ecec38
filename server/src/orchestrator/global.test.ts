/**
 * Global services on in-memory state: one unit on every eligible host, a new host gets one, a host
 * that stops being eligible loses it, and `scale` plays no part.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { upgradeService } from "../services/services.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const monitor = `version: '2'
services:
  monitor:
    image: corral/busybox
    command: sleep 3600
    labels:
      io.rancher.scheduler.global: "true"
      io.rancher.scheduler.affinity:host_label: role=worker
`;

/** The hosts (by number, from 1) that run a unit of the service. */
function hostsWith(name: string): number[] {
  return kit
    .units(name)
    .map((u) => kit.hostIds.indexOf(u.hostId!) + 1)
    .sort();
}

test("one unit on each eligible host, whatever the scale", async () => {
  kit = OrchestratorKit.start({
    hosts: [
      { labels: { role: "worker" } },
      {},
      { labels: { role: "worker" } },
      { labels: { role: "worker" } },
    ],
  });
  kit.createStack("ops", monitor, "version: '2'\nservices:\n  monitor:\n    scale: 1\n");
  await kit.settle();
  expect(hostsWith("monitor")).toEqual([1, 3, 4]);
  const svc = kit.service("monitor");
  expect([svc.data.currentScale, svc.data.healthState]).toEqual([3, "healthy"]);
});

test("a new eligible host gets a unit; one without the label does not", async () => {
  kit = OrchestratorKit.start({ hosts: [{ labels: { role: "worker" } }, {}] });
  kit.createStack("ops", monitor);
  await kit.settle();
  expect(hostsWith("monitor")).toEqual([1]);
  kit.addHost({ labels: { role: "worker" } });
  kit.addHost({});
  await kit.settle();
  expect(hostsWith("monitor")).toEqual([1, 3]);
  expect(kit.service("monitor").data.currentScale).toBe(2);
});

test("a host that loses its label loses its unit; one that gains it gets one", async () => {
  kit = OrchestratorKit.start({
    hosts: [{ labels: { role: "worker" } }, { labels: { role: "worker" } }, {}],
  });
  kit.createStack("ops", monitor);
  await kit.settle();
  const onFirst = kit.units("monitor").find((u) => u.hostId === kit.hostIds[0])!;
  kit.setHostLabels(kit.hostIds[0]!, {});
  kit.setHostLabels(kit.hostIds[2]!, { role: "worker" });
  await kit.settle();
  expect(hostsWith("monitor")).toEqual([2, 3]);
  expect(kit.agents.sent({ name: "instance.remove" }).map((e) => e.containerId)).toEqual(
    onFirst.containers.map((c) => formatId("container", c.id)),
  );
});

test("a disconnected host keeps its unit and no host gets a second one", async () => {
  kit = OrchestratorKit.start({ hosts: [{ labels: { role: "worker" } }, { labels: { role: "worker" } }] });
  kit.createStack("ops", monitor);
  await kit.settle();
  const creates = kit.agents.sent({ name: "instance.create" }).length;
  kit.disconnectHost(kit.hostIds[1]!);
  await kit.advance(30_000);
  expect(hostsWith("monitor")).toEqual([1, 2]);
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(creates);
  kit.reconnectHost(kit.hostIds[1]!);
  await kit.settle();
  expect(hostsWith("monitor")).toEqual([1, 2]);
  expect(kit.agents.sent({ name: "instance.create" })).toHaveLength(creates);
});

test("an upgrade replaces each host's unit on that same host", async () => {
  kit = OrchestratorKit.start({
    hosts: [{ labels: { role: "worker" } }, { labels: { role: "worker" } }, { labels: { role: "worker" } }],
  });
  kit.createStack("ops", monitor);
  await kit.settle();
  // Unit 1's replacement (createIndex 4) makes createIndex order differ from host order.
  const first = kit.units("monitor")[0]!;
  kit.agents.vanish(formatId("container", first.containers[0]!.id));
  await kit.advance(3500);
  kit.agents.ping(first.hostId!);
  await kit.until(
    "unit 1 replaced",
    () =>
      kit
        .units("monitor")
        .map((u) => u.createIndex)
        .join() === "2,3,4",
  );
  expect(kit.units("monitor").find((u) => u.createIndex === 4)?.hostId).toBe(first.hostId);

  const svc = kit.service("monitor");
  const seen: string[] = [];
  upgradeService(kit.ctx, formatId("service", svc.id), {
    inServiceStrategy: {
      launchConfig: { ...svc.data.launchConfig!, environment: { V: "2" } },
      batchSize: 1,
      intervalMillis: 1000,
      startFirst: true,
    },
  });
  await kit.until("the upgrade", () => {
    // Every host keeps a running unit at every moment.
    const running = kit
      .units("monitor")
      .filter((u) => u.containers.every((c) => c.state === "running"))
      .map((u) => kit.hostIds.indexOf(u.hostId!) + 1);
    const hosts = [...new Set(running)].sort();
    if (hosts.length < 3) seen.push(`at ${kit.clock.elapsed()} ms only hosts ${hosts} run a unit`);
    return kit.service("monitor").state === "upgraded";
  });
  expect(seen).toEqual([]);
  const fresh = kit.units("monitor").filter((u) => u.version === "1");
  expect(fresh.map((u) => kit.hostIds.indexOf(u.hostId!) + 1).sort()).toEqual([1, 2, 3]);
});
