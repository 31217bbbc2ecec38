import { describe, expect, test } from "bun:test";
import {
  agentEvents,
  describeIssue,
  type EventData,
  type EventReplyInput,
  parseEventData,
  parseEventReply,
} from "./agent-events.ts";
import { type ContainerObservation, type EventName, eventNames, type InstanceSpec } from "./protocol.ts";

const spec: InstanceSpec = {
  containerId: "1i1",
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
  pullPolicy: "missing",
};

const observed: ContainerObservation = {
  containerId: "1i1",
  dockerId: "abc123",
  name: "web-1",
  state: "running",
  ipAddress: "10.42.0.5",
  ports: [{ privatePort: 80, publicPort: 8080, protocol: "tcp" }],
};

const stats = {
  cpuPercent: 1.5,
  memoryUsage: 1024,
  memoryLimit: 4096,
  networkRxBytes: 10,
  networkTxBytes: 20,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 1,
};

// One valid event of each name, as the server sends it, with a valid reply, as an agent sends it.
const samples: { [N in EventName]: { data: EventData<N>; reply: EventReplyInput<N> } } = {
  "instance.create": { data: { spec, start: true }, reply: observed },
  "instance.start": { data: { containerId: "1i1", dockerId: null }, reply: observed },
  "instance.stop": { data: { containerId: "1i1", dockerId: "abc123", timeoutSec: 10 }, reply: observed },
  "instance.restart": { data: { containerId: "1i1" }, reply: observed },
  "instance.remove": { data: { containerId: "1i1" }, reply: { removed: true } },
  "instance.inspect": { data: { containerId: "1i1" }, reply: observed },
  "instance.stats": { data: { containerId: "1i1", dockerId: "abc123" }, reply: stats },
  "instance.logs": { data: { containerId: "1i1", streamId: "s1" }, reply: { streamId: "s1" } },
  "instance.exec": {
    data: { containerId: "1i1", streamId: "x1", command: ["sh"] },
    reply: { streamId: "x1" },
  },
  "host.resync": { data: {}, reply: { containers: [observed] } },
  "host.osupgrade": { data: { version: "0.3.0" }, reply: { version: "0.3.0", slot: "A", log: [] } },
  "volume.create": { data: { name: "data1", driver: "local" }, reply: { name: "data1", present: true } },
  "volume.remove": { data: { name: "data1" }, reply: { name: "data1", present: false } },
};

describe("the agent event map", () => {
  test("has exactly one entry per event name", () => {
    expect(Object.keys(agentEvents).sort()).toEqual([...eventNames].sort());
  });

  test.each(eventNames)("%s: valid data and a valid reply pass", (name) => {
    const data = parseEventData(name, samples[name].data);
    expect(data.success).toBe(true);
    const reply = parseEventReply(name, samples[name].reply);
    expect(reply.success).toBe(true);
    expect(reply.data).toEqual(samples[name].reply);
  });

  test.each(eventNames)("%s: garbage data and garbage replies fail", (name) => {
    for (const garbage of [null, "x", 7, [], { containerId: 5 }]) {
      if (name !== "host.resync") expect(parseEventData(name, garbage).success).toBe(false);
      expect(parseEventReply(name, garbage).success).toBe(false);
    }
  });

  test("defaults are applied to the data an agent handles", () => {
    const create = parseEventData("instance.create", { spec, start: null });
    expect(create.data?.start).toBe(false);
    const logs = parseEventData("instance.logs", { containerId: "1i1", streamId: "s1" });
    expect(logs.data).toMatchObject({ follow: false, timestamps: false });
    const exec = parseEventData("instance.exec", { containerId: "1i1", streamId: "x1", command: ["ls"] });
    expect(exec.data).toMatchObject({ tty: false, attachStdin: false });
  });

  test("fields a newer server or agent adds are dropped, not refused", () => {
    const data = parseEventData("instance.stop", { containerId: "1i1", newField: 1 });
    expect(data.data).toEqual({ containerId: "1i1" });
    const reply = parseEventReply("instance.stats", { ...stats, gpuPercent: 3 });
    expect(reply.data).toEqual(stats);
    expect(parseEventReply("instance.remove", { removed: true, took: 5 }).data).toEqual({ removed: true });
  });

  test("a container observation in a reply stays strict, as in pings", () => {
    expect(parseEventReply("instance.inspect", { ...observed, extra: 1 }).success).toBe(false);
  });

  test("a failure names the field", () => {
    const cases: [EventName, unknown, string][] = [
      ["instance.start", { containerId: 5 }, "containerId: "],
      ["instance.create", { spec: { ...spec, name: 3 } }, "spec.name: "],
      ["instance.exec", { containerId: "1i1", streamId: "x1", command: [] }, "command: "],
      ["instance.stop", { containerId: "1i1", timeoutSec: -1 }, "timeoutSec: "],
    ];
    for (const [name, data, field] of cases) {
      const result = parseEventData(name, data);
      expect(result.success).toBe(false);
      expect(describeIssue(result.error!)).toStartWith(field);
    }
    const replies: [EventName, unknown, string][] = [
      ["instance.create", { ...observed, dockerId: undefined }, "dockerId: "],
      ["instance.start", { ...observed, state: "flying" }, "state: "],
      ["instance.stats", { ...stats, cpuPercent: "lots" }, "cpuPercent: "],
      ["instance.remove", { removed: false }, "removed: "],
      ["instance.logs", {}, "streamId: "],
      ["host.resync", { containers: [{ ...observed, name: 1 }] }, "containers.0.name: "],
    ];
    for (const [name, reply, field] of replies) {
      const result = parseEventReply(name, reply);
      expect(result.success).toBe(false);
      expect(describeIssue(result.error!)).toStartWith(field);
    }
  });
});
