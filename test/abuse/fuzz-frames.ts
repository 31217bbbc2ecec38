/**
 * Random and mutated websocket frames for the agent-channel fuzzer: frames an agent could send the
 * server and frames a server could send an agent, each either well formed, mutated from a well
 * formed one, or garbage (not JSON, cut JSON, binary, oversized).
 */
import { maxFrameBytes } from "@corral/api";
import { mutateJson, type Rand, randomJson, randomText } from "./fuzz-values.ts";

/** One frame to send: text or bytes, and what it was (for failure messages). */
export interface FuzzFrame {
  data: string | Uint8Array;
  kind: string;
}

const observation = (r: Rand) => ({
  containerId: `1i${r.int(50)}`,
  dockerId: "d".repeat(64),
  name: `c${r.int(9)}`,
  state: r.pick(["running", "exited", "created"]),
});

const facts = {
  hostname: "fuzz",
  kernel: "6",
  os: "linux",
  arch: "x86_64",
  cpuCount: 2,
  cpuModel: "cpu",
  cpuLoad: 0.1,
  memoryTotal: 1,
  memoryUsed: 0,
  disks: [],
  dockerVersion: "26",
  ipAddresses: ["192.0.2.9"],
};

/** Well-formed frames of every kind an agent sends. */
function agentFrame(r: Rand, seq: number): unknown {
  switch (r.int(9)) {
    case 0:
      return { type: "ping", seq, containers: [observation(r)], facts };
    case 1:
      return { type: "hello", agentVersion: "fuzz", facts, containers: [observation(r)] };
    case 2:
      return { type: "reply", eventId: `e${r.int(5)}`, ok: r.chance(0.5), data: {} };
    case 3:
      return { type: "progress", eventId: `e${r.int(5)}`, message: "pulling" };
    case 4:
      return { type: "containerEvent", action: "die", containerId: "1i1", container: observation(r) };
    case 5:
      return { type: "stream", streamId: `s${r.int(5)}`, data: "aGk=", end: r.chance(0.5) };
    case 6:
      return { type: "healthEvent", containerId: `1i${r.int(50)}`, healthState: "healthy" };
    case 7:
      return {
        type: "frameRejected",
        reason: r.pick(["tooLarge", "notJson", "invalid", "outOfSequence"]),
        frameType: r.chance(0.5) ? "hostState.delta" : null,
        bytes: r.int(1e6),
        detail: randomText(r).slice(0, 200),
      };
    default:
      return { type: "hostState.resync", seq: r.chance(0.5) ? null : r.int(100) };
  }
}

const container = (r: Rand, hostId: string) => ({
  id: `1i${r.int(100)}`,
  name: `c${r.int(100)}`,
  hostId: r.chance(0.5) ? hostId : "1h999",
  state: "running",
  ip: `10.42.0.${r.int(250) + 2}`,
});

/** Well-formed frames of every kind a server sends, addressed to host `hostId` / agent `agentId`. */
function serverFrame(r: Rand, hostId: string, agentId: string, seq: () => number): unknown {
  switch (r.int(7)) {
    case 0:
      return { type: "welcome", hostId, agentId, pingIntervalMs: 60_000 };
    case 1:
      return {
        type: "event",
        id: `f${r.int(1e6)}`,
        agentId,
        name: "instance.inspect",
        data: { containerId: `1i${r.int(9)}` },
      };
    case 2:
      return { type: "streamInput", streamId: `s${r.int(5)}`, data: "aGk=" };
    case 3:
      return {
        type: "hostState",
        seq: seq(),
        version: r.int(1e9),
        hostId,
        environmentId: "1a1",
        parts: r.chance(0.8) ? 1 : 2,
        network: null,
        portRange: { start: 49153, end: 65535 },
        containers: Array.from({ length: r.int(5) }, () => container(r, hostId)),
        services: [],
        hosts: [],
        certificates: [],
        upstreamDns: [],
      };
    case 4:
      return { type: "hostState.part", seq: seq(), index: 1 + r.int(2), containers: [container(r, hostId)] };
    default:
      return {
        type: "hostState.delta",
        seq: r.chance(0.7) ? seq() + 1 : r.int(1000),
        version: r.int(1e9),
        containers: { upsert: [container(r, hostId)], remove: [`1i${r.int(100)}`] },
      };
  }
}

/** Garbage: not JSON, cut JSON, random JSON, binary, or a text over the frame limit. */
function garbage(r: Rand, valid: unknown): FuzzFrame {
  switch (r.int(6)) {
    case 0:
      return { data: randomText(r), kind: "text" };
    case 1: {
      const text = JSON.stringify(valid);
      return { data: text.slice(0, r.int(text.length)), kind: "cut JSON" };
    }
    case 2:
      return { data: JSON.stringify(randomJson(r)), kind: "random JSON" };
    case 3:
      return {
        data: new Uint8Array(Array.from({ length: 1 + r.int(64) }, () => r.int(256))),
        kind: "binary",
      };
    case 4:
      // Rarely: the frames over the limit cost time and memory to send.
      return r.chance(0.05)
        ? { data: `"${"x".repeat(maxFrameBytes + 10)}"`, kind: "oversized" }
        : { data: "null", kind: "null" };
    default:
      return { data: JSON.stringify([valid, valid]), kind: "array" };
  }
}

/** One frame an agent could send: well formed (40%), mutated (40%) or garbage (20%). */
export function randomAgentFrame(r: Rand, seq: number): FuzzFrame {
  const valid = agentFrame(r, seq);
  const roll = r.next();
  if (roll < 0.4) return { data: JSON.stringify(valid), kind: (valid as { type: string }).type };
  if (roll < 0.8) return { data: JSON.stringify(mutateJson(r, valid)), kind: "mutated" };
  return garbage(r, valid);
}

/** One frame a server could send: well formed (40%), mutated (40%) or garbage (20%). */
export function randomServerFrame(r: Rand, hostId: string, agentId: string, seq: () => number): FuzzFrame {
  const valid = serverFrame(r, hostId, agentId, seq);
  const roll = r.next();
  if (roll < 0.4) return { data: JSON.stringify(valid), kind: (valid as { type: string }).type };
  if (roll < 0.8) return { data: JSON.stringify(mutateJson(r, valid)), kind: "mutated" };
  return garbage(r, valid);
}
