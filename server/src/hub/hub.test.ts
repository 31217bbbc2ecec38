import { afterEach, describe, expect, test } from "bun:test";
import { type ContainerObservation, type HostStateFrameInput, maxFrameBytes } from "@corral/api";
import { isAppError } from "@corral/lib";
import { FakeAgentSocket } from "../../testing/fake-agent-socket.ts";
import type { StateFrameText } from "../network/frame-text.ts";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { Hub, type HubHandlers } from "./hub.ts";

/** A frame object serialised whole, as the hub receives frames from the publisher. */
function frameText(frame: HostStateFrameInput): StateFrameText {
  return {
    type: frame.type,
    ...("version" in frame ? { version: frame.version } : {}),
    text: JSON.stringify(frame),
  };
}

const ignore: HubHandlers = {
  onHello: () => {},
  onPing: () => {},
  onContainerEvent: () => {},
  onHealthEvent: () => {},
};

const observed: ContainerObservation = {
  containerId: "1i7",
  dockerId: "abc123",
  name: "web-1",
  state: "running",
};

const stats = {
  cpuPercent: 2.5,
  memoryUsage: 100,
  memoryLimit: 1000,
  networkRxBytes: 1,
  networkTxBytes: 2,
  blockReadBytes: 3,
  blockWriteBytes: 4,
  pids: 5,
};

let hubs: Hub[] = [];

function setup(handlers: Partial<HubHandlers> = {}) {
  const store = new Store(openDatabase(":memory:"));
  const hub = new Hub(
    store,
    { ...ignore, ...handlers },
    {
      pingIntervalMs: 1000,
      reconnectingAfterMs: 60_000,
      disconnectedAfterMs: 120_000,
    },
  );
  hubs.push(hub);
  const agent = new FakeAgentSocket(hub, "1h1", "1ag1").open();
  return { hub, agent };
}

/** Settles a promise into a value or an error, so a test can look at either. */
async function outcome<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

afterEach(() => {
  for (const hub of hubs) hub.stop();
  hubs = [];
});

describe("Hub.dispatch", () => {
  test("sends the event to the addressed agent and resolves with the validated reply", async () => {
    const { hub, agent } = setup();
    const pending = hub.dispatch("1h1", "instance.inspect", { containerId: "1i7" });
    const event = agent.lastEvent();
    expect(event).toMatchObject({ agentId: "1ag1", name: "instance.inspect", data: { containerId: "1i7" } });
    agent.reply(event.id, observed);
    expect(await pending).toEqual(observed);
  });

  test("fields the event's reply schema does not know are dropped before the domain sees them", async () => {
    const { hub, agent } = setup();
    const pending = hub.dispatch("1h1", "instance.stats", { containerId: "1i7" });
    agent.reply(agent.lastEvent().id, { ...stats, extra: "from a newer agent" });
    expect(await pending).toEqual(stats);
  });

  const malformed: [string, (hub: Hub) => Promise<unknown>, unknown, RegExp][] = [
    [
      "an observation without its Docker id",
      (hub) => hub.dispatch("1h1", "instance.start", { containerId: "1i7" }),
      { ...observed, dockerId: undefined },
      /instance\.start with a malformed reply: dockerId: /,
    ],
    [
      "stats with a string for a number",
      (hub) => hub.dispatch("1h1", "instance.stats", { containerId: "1i7" }),
      { ...stats, cpuPercent: "high" },
      /instance\.stats with a malformed reply: cpuPercent: /,
    ],
    [
      "an empty reply to a create",
      (hub) => hub.dispatch("1h1", "instance.create", { spec: spec(), start: true }),
      undefined,
      /instance\.create with a malformed reply: containerId: /,
    ],
    [
      "another event's reply shape",
      (hub) => hub.dispatch("1h1", "instance.remove", { containerId: "1i7" }),
      observed,
      /instance\.remove with a malformed reply: removed: /,
    ],
  ];

  test.each(malformed)(
    "a malformed reply (%s) rejects that dispatch only, logged and counted",
    async (_what, dispatch, data, message) => {
      const { hub, agent } = setup();
      const pending = dispatch(hub);
      const name = agent.lastEvent().name;
      agent.reply(agent.lastEvent().id, data);
      const { value, error } = await outcome(pending);
      expect(value).toBeUndefined();
      expect(isAppError(error, "ServerError")).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(hub.metrics.malformedReplies.get(name)).toBe(1);
      expect(hub.metrics.render(1)).toContain(`corral_agent_replies_malformed_total{event="${name}"} 1`);
      // The session survives: not closed, not dropped, and its next reply resolves normally.
      expect(agent.closed).toBeNull();
      expect(hub.metrics.dropped).toBe(0);
      expect(hub.isConnected("1h1")).toBe(true);
      const next = hub.dispatch("1h1", "host.resync", {});
      agent.reply(agent.lastEvent().id, { containers: [observed] });
      expect(await next).toEqual({ containers: [observed] });
    },
  );

  test("a failed reply rejects with the agent's error and is not counted as malformed", async () => {
    const { hub, agent } = setup();
    const pending = hub.dispatch("1h1", "instance.start", { containerId: "1i7" });
    agent.receive({
      type: "reply",
      eventId: agent.lastEvent().id,
      ok: false,
      error: { code: "NotFound", message: "no such container" },
    });
    const { error } = await outcome(pending);
    expect(isAppError(error, "NotFound")).toBe(true);
    expect(hub.metrics.malformedReplies.size).toBe(0);
  });

  test("a second reply to an answered event closes the connection, as a reply to any unknown event", async () => {
    const { hub, agent } = setup();
    const pending = hub.dispatch("1h1", "instance.remove", { containerId: "1i7" });
    const id = agent.lastEvent().id;
    agent.reply(id, { removed: "yes" });
    await outcome(pending);
    agent.reply(id, { removed: true });
    expect(agent.closed?.code).toBe(1008);
    expect(hub.isConnected("1h1")).toBe(false);
  });
});

describe("Hub.openStream", () => {
  test("sends the stream event with the stream id it assigns, and routes the output", async () => {
    const { hub, agent } = setup();
    const chunks: string[] = [];
    let ended: number | undefined;
    const opening = hub.openStream(
      "1h1",
      { name: "instance.exec", data: { containerId: "1i7", command: ["ls"] } },
      { data: (chunk) => chunks.push(chunk.toString()), end: (exitCode) => (ended = exitCode) },
    );
    const event = agent.lastEvent();
    expect(event).toMatchObject({ name: "instance.exec", data: { containerId: "1i7", command: ["ls"] } });
    const streamId = (event.data as { streamId: string }).streamId;
    agent.reply(event.id, { streamId });
    await opening;
    agent.receive({ type: "stream", streamId, data: Buffer.from("hi\n").toString("base64") });
    agent.receive({ type: "stream", streamId, end: true, exitCode: 0 });
    expect(chunks).toEqual(["hi\n"]);
    expect(ended).toBe(0);
  });

  test("a malformed reply to the stream event fails the open", async () => {
    const { hub, agent } = setup();
    const opening = hub.openStream(
      "1h1",
      { name: "instance.logs", data: { containerId: "1i7" } },
      { data: () => {}, end: () => {} },
    );
    agent.reply(agent.lastEvent().id, {});
    const { error } = await outcome(opening);
    expect((error as Error).message).toMatch(/instance\.logs with a malformed reply: streamId: /);
    expect(agent.closed).toBeNull();
  });
});

function spec() {
  return {
    containerId: "1i7",
    projectId: "1a1",
    name: "web-1",
    image: "corral/busybox:latest",
    environment: {},
    labels: {},
    ports: [],
    volumes: [],
    networkMode: "managed",
    tty: false,
    stdinOpen: false,
    pullPolicy: "missing" as const,
  };
}

describe("Hub.balancers", () => {
  test("notes the view each host is sent and the views its load balancers report serving", () => {
    const { hub, agent } = setup();
    const frame = (version: number) =>
      frameText({ type: "hostState", version, hostId: "1h1" } as unknown as HostStateFrameInput);
    const report = (viewVersion: number) => ({
      type: "ping",
      seq: 1,
      containers: [],
      loadBalancers: [
        { containerId: "1i9", serviceId: "1s9", configId: "c", error: null, warnings: [], viewVersion },
      ],
    });
    expect(hub.sendState("1h1", frame(10))).toBe(true);
    const mark = hub.balancers.mark();
    agent.receive(report(10));
    expect(hub.balancers.passed(mark, "1h1", "1i9")).toBe(false);
    hub.sendState("1h1", frame(11));
    agent.receive(report(11));
    expect(hub.balancers.passed(mark, "1h1", "1i9")).toBe(true);
    // A host that is not connected is sent nothing, so its mark does not move.
    expect(hub.sendState("1h2", frame(12))).toBe(false);
    expect(hub.balancers.mark().get("1h2")).toBeUndefined();
    expect(agent.closed).toBeNull();
  });
});

describe("Hub.sendState", () => {
  test("a view frame over the frame limit is not sent, and is counted", () => {
    const { hub, agent } = setup();
    const sentBefore = agent.sent.length;
    const huge: HostStateFrameInput = {
      type: "hostState.part",
      seq: 1,
      index: 1,
      containers: [{ id: "1i1", name: "x".repeat(maxFrameBytes), hostId: "1h1", state: "running" }],
    };
    expect(hub.sendState("1h1", frameText(huge))).toBe(false);
    expect(agent.sent.length).toBe(sentBefore);
    expect(hub.metrics.render(1)).toContain('corral_frames_oversized_total{type="hostState.part"} 1');
    expect(
      hub.sendState("1h1", frameText({ type: "hostState.part", seq: 1, index: 1, containers: [] })),
    ).toBe(true);
    expect(hub.metrics.render(1)).toMatch(/corral_host_state_frames_sent_total\{type="hostState.part"\} 1/);
    expect(hub.sessionOf("1h1")).toBeDefined();
    expect(hub.sessionOf("1h2")).toBeUndefined();
  });

  test("an agent's frameRejected and hostState.resync reach their handlers and the counters", () => {
    const seen: string[] = [];
    const { hub, agent } = setup({
      onFrameRejected: (hostId, f) => seen.push(`${hostId} ${f.reason}`),
      onResync: (hostId) => seen.push(`${hostId} resync`),
    });
    agent.receive({
      type: "frameRejected",
      reason: "tooLarge",
      frameType: null,
      bytes: 5_000_000,
      detail: "big",
    });
    agent.receive({ type: "hostState.resync", seq: null });
    expect(seen).toEqual(["1h1 tooLarge", "1h1 resync"]);
    expect(hub.metrics.render(1)).toContain('corral_agent_frames_rejected_total{reason="tooLarge"} 1');
    // A report with a reason outside the protocol's closes the session like any bad frame.
    agent.receive({ type: "frameRejected", reason: "whatever", frameType: null, bytes: 0, detail: "" });
    expect(agent.closed?.code).toBe(1008);
  });
});
