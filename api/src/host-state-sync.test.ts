import { describe, expect, test } from "bun:test";
import { type HostStateFrameInput, serverFrameSchema } from "../index.ts";
import { HostStateAssembler } from "./host-state-sync.ts";

const head = (seq: number, parts = 1, containers: unknown[] = []) =>
  ({
    type: "hostState",
    seq,
    version: 100 + seq,
    hostId: "1h1",
    environmentId: "1a1",
    parts,
    network: null,
    portRange: { start: 1, end: 2 },
    containers,
    services: [
      {
        id: "1s1",
        name: "web",
        stackName: "shop",
        kind: "service",
        state: "active",
        healthState: "healthy",
        scale: 1,
        links: [],
        externalIpAddresses: [],
        hostname: null,
        sidekicks: [],
        metadata: {},
        labels: {},
        lbConfig: null,
      },
    ],
    hosts: [],
    certificates: [],
    upstreamDns: [],
  }) as HostStateFrameInput;

const c = (id: string, hostId = "1h1", extra: object = {}) => ({
  id,
  name: `c-${id}`,
  hostId,
  state: "running",
  ip: "10.42.0.2",
  serviceId: "1s1",
  ...extra,
});

/** Feeds a frame through the schema, as the agent does. */
function take(a: HostStateAssembler, frame: HostStateFrameInput) {
  const parsed = serverFrameSchema.parse(JSON.parse(JSON.stringify(frame)));
  if (parsed.type !== "hostState" && parsed.type !== "hostState.part" && parsed.type !== "hostState.delta")
    throw new Error("not a view frame");
  return a.accept(parsed);
}

describe("rebuilding the view", () => {
  test("a snapshot in parts is a view only once its last part arrived; names come from the service", () => {
    const a = new HostStateAssembler();
    expect(take(a, head(1, 3, [c("1i1")]))).toEqual({ kind: "pending" });
    expect(take(a, { type: "hostState.part", seq: 1, index: 1, containers: [c("1i2", "1h2")] })).toEqual({
      kind: "pending",
    });
    const done = take(a, { type: "hostState.part", seq: 1, index: 2, containers: [c("1i3")] });
    if (done.kind !== "view") throw new Error(done.kind);
    expect(done.state.containers.map((x) => x.id)).toEqual(["1i1", "1i2", "1i3"]);
    expect(done.state.containers[1]).toEqual({
      id: "1i2",
      name: "c-1i2",
      hostId: "1h2",
      ip: "10.42.0.2",
      state: "running",
      healthState: null,
      stackName: "shop",
      serviceName: "web",
      serviceId: "1s1",
      launchConfigName: "",
      createIndex: null,
      // The labels that repeat a service container's names are put back when left out.
      labels: {
        "io.rancher.container.name": "c-1i2",
        "io.rancher.service.launch.config": "io.rancher.service.primary.launch.config",
        "io.rancher.stack.name": "shop",
        "io.rancher.stack_service.name": "shop/web",
      },
      ports: [],
      links: {},
      dns: [],
      dnsSearch: [],
    });
    expect(a.heldSeq).toBe(1);
  });

  test("a missing part is refused and nothing but a snapshot is taken after", () => {
    const a = new HostStateAssembler();
    take(a, head(1, 3));
    expect(take(a, { type: "hostState.part", seq: 1, index: 2, containers: [] })).toMatchObject({
      kind: "rejected",
      reason: "incomplete",
    });
    expect(take(a, { type: "hostState.delta", seq: 2, version: 1 })).toMatchObject({ kind: "rejected" });
    expect(take(a, head(5))).toMatchObject({ kind: "view" });
  });

  test("deltas apply in sequence: upserts, removals, whole fields", () => {
    const a = new HostStateAssembler();
    take(a, head(1, 1, [c("1i1"), c("1i2")]));
    const next = take(a, {
      type: "hostState.delta",
      seq: 2,
      version: 200,
      containers: { upsert: [c("1i3", "1h1", { healthState: "unhealthy" })], remove: ["1i1"] },
      portRange: { start: 5, end: 6 },
      network: { cidr: "10.42.0.0/16", hostSubnet: "10.42.0.0/24", gateway: "10.42.0.1", bridgeName: "b" },
    });
    if (next.kind !== "view") throw new Error(next.kind);
    expect(next.state.containers.map((x) => [x.id, x.healthState])).toEqual([
      ["1i2", null],
      ["1i3", "unhealthy"],
    ]);
    expect(next.state).toMatchObject({ version: 200, portRange: { start: 5, end: 6 } });
    expect(next.state.network?.mtu).toBe(1500);
    expect(a.heldSeq).toBe(2);
  });

  test("a delta out of sequence is refused and the view dropped", () => {
    const a = new HostStateAssembler();
    take(a, head(1));
    expect(take(a, { type: "hostState.delta", seq: 3, version: 1 })).toEqual({
      kind: "rejected",
      reason: "outOfSequence",
      detail: "delta 3 after 1",
    });
    expect(a.heldSeq).toBeNull();
    expect(take(a, { type: "hostState.delta", seq: 2, version: 1 })).toMatchObject({ kind: "rejected" });
  });

  test("a delta before any snapshot is refused", () => {
    expect(take(new HostStateAssembler(), { type: "hostState.delta", seq: 1, version: 1 })).toMatchObject({
      kind: "rejected",
      reason: "outOfSequence",
    });
  });
});
