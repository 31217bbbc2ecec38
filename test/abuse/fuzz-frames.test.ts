// The agent-channel fuzzer of issue 12: a fixed number of seeded random, mutated and garbage frames
// over the real websocket, both ways. Server side: an agent connected with real credentials sends
// them; each bad frame closes only its own session (and is counted) or is counted as an error, the
// server keeps serving, another agent of the environment keeps its session and its view, and the
// server grows by less than a limit. Agent side: the real agent session takes them from a fake
// server; it does not crash or drop the session, reports what it cannot take, still answers events
// and rebuilds its view from the next good snapshot. Replay with CORRAL_FUZZ_SEED=<seed>;
// CORRAL_FUZZ_FRAMES changes how many frames each side sends.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostStateBus, runAgent } from "@corral/agent";
import { type AgentFrame, agentFrameSchema, agentPaths } from "@corral/api";
import type { RunningServer } from "@corral/server";
import type { ServerWebSocket } from "bun";
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import { FakeAgent } from "../api/fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "../api/harness.ts";
import { randomAgentFrame, randomServerFrame } from "./fuzz-frames.ts";
import { Rand } from "./fuzz-values.ts";
import { rssAfterGc } from "./kit.ts";

const seed = Number(process.env.CORRAL_FUZZ_SEED ?? 20261202);
const count = Number(process.env.CORRAL_FUZZ_FRAMES ?? 1000);
/** Most either side may grow over its run, after a full collection (a few 4 MiB frames are sent). */
const maxGrowthMb = 300;
/** Close codes a bad frame may end its session with: not JSON, schema or protocol, too large. */
const badFrameCloses = new Set([1007, 1008, 1009]);

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let bystander: FakeAgent;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  bystander = await FakeAgent.join(server.url, project.token);
});

afterAll(async () => {
  await bystander?.close();
  await server?.stop();
});

/** A counter of the server's Prometheus text, summed over its labels. */
async function counter(name: string): Promise<number> {
  const text = String((await admin.get("/metrics")).body);
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, "gm"))) sum += Number(m[1]);
  return sum;
}

test(`server side: ${count} fuzzed agent frames close only their session (seed ${seed})`, async () => {
  const rand = new Rand(seed);
  const fuzz = await FakeAgent.join(server.url, project.token, { ping: false });
  const closes = new Map<number, number>();
  const kinds = new Map<string, number>();
  const droppedBefore = await counter("corral_agent_connections_dropped_total");
  const before = rssAfterGc();
  for (let i = 0; i < count; i++) {
    if (fuzz.closeInfo) {
      closes.set(fuzz.closeInfo.code, (closes.get(fuzz.closeInfo.code) ?? 0) + 1);
      await fuzz.connect();
      fuzz.hello();
    }
    const frame = randomAgentFrame(rand, i);
    kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
    fuzz.sendRaw(frame.data);
    // Give the socket a turn, so a close is seen before the next frame is written.
    await Bun.sleep(0);
  }
  await Bun.sleep(200);
  if (fuzz.closeInfo) closes.set(fuzz.closeInfo.code, (closes.get(fuzz.closeInfo.code) ?? 0) + 1);
  const grewMb = Math.round(rssAfterGc() - before);
  const closed = [...closes.values()].reduce((a, b) => a + b, 0);
  const dropped = (await counter("corral_agent_connections_dropped_total")) - droppedBefore;
  console.log(
    `agent frames seed ${seed}: ${count} sent (${[...kinds].map(([k, n]) => `${k}:${n}`).join(" ")}); ` +
      `closes ${[...closes].map(([c, n]) => `${c}:${n}`).join(" ")}; dropped ${dropped}; ` +
      `rejected reports ${await counter("corral_agent_frames_rejected_total")}; RSS +${grewMb} MB`,
  );
  for (const code of closes.keys()) expect(badFrameCloses.has(code)).toBe(true);
  // Every close was the hub's own (counted), none an accident of the socket.
  expect(dropped).toBeGreaterThanOrEqual(closed);
  expect(closed).toBeGreaterThan(0);

  // The server serves; the other agent kept its session, its host is active and its view follows.
  expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  expect(bystander.closeInfo).toBeNull();
  expect(server.hub.isConnected(bystander.hostId)).toBe(true);
  const host = expectStatus(await admin.get(`/v2-beta/hosts/${bystander.hostId}`), 200).body;
  expect(host.agentState).toBe("active");
  const made = expectStatus(
    await project.client.post(`/v2-beta/projects/${project.id}/containers`, {
      name: "after-fuzz",
      imageUuid: "docker:corral/busybox",
      requestedHostId: bystander.hostId,
    }),
    201,
  ).body;
  await until("the new container in the bystander's view", () =>
    bystander.views.at(-1)?.containers.some((c) => c.id === made.id),
  );
  expect(grewMb).toBeLessThan(maxGrowthMb);
  await fuzz.close();
}, 600_000);

/** A stand-in server for one agent: registration, the websocket, and what the agent sent. */
function fakeServer() {
  const frames: AgentFrame[] = [];
  const invalid: string[] = [];
  let socket: ServerWebSocket<unknown> | undefined;
  let connections = 0;
  const srv = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, s) {
      const url = new URL(req.url);
      if (url.pathname === agentPaths.register)
        return Response.json({
          type: "agentRegistration",
          hostId: "1h1",
          agentId: "1ag1",
          projectId: "1a1",
          accessKey: "ak",
          secretKey: "sk",
        });
      if (url.pathname === agentPaths.connect && s.upgrade(req, { data: undefined })) return undefined;
      return new Response("not found", { status: 404 });
    },
    websocket: {
      open(ws) {
        connections++;
        socket = ws;
        ws.send(JSON.stringify({ type: "welcome", hostId: "1h1", agentId: "1ag1", pingIntervalMs: 60_000 }));
      },
      message(_ws, message) {
        try {
          const parsed = agentFrameSchema.safeParse(JSON.parse(String(message)));
          if (parsed.success) frames.push(parsed.data);
          else invalid.push(String(message).slice(0, 300));
        } catch {
          invalid.push(String(message).slice(0, 300));
        }
      },
    },
  });
  return {
    url: `http://127.0.0.1:${srv.port}`,
    frames,
    invalid,
    connections: () => connections,
    send: (data: string | Uint8Array) => socket?.send(data),
    stop: () => srv.stop(true),
  };
}

test(`agent side: ${count} fuzzed server frames are reported, never fatal (seed ${seed})`, async () => {
  const rand = new Rand(seed + 1);
  const fake = fakeServer();
  const stateDir = mkdtempSync(join(tmpdir(), "corral-fuzz-agent-"));
  const bus = new HostStateBus();
  const stop = new AbortController();
  let ended = false;
  const running = runAgent({
    url: fake.url,
    token: "fuzz-token-123",
    stateDir,
    driver: new FakeDriver(),
    signal: stop.signal,
    hostState: bus,
    pingIntervalMsOverride: 60_000,
  }).finally(() => {
    ended = true;
  });
  try {
    await until("hello", () => fake.frames.some((f) => f.type === "hello"), 30_000);
    let seq = 1;
    const before = rssAfterGc();
    for (let i = 0; i < count; i++) {
      const frame = randomServerFrame(rand, "1h1", "1ag1", () => seq);
      if (frame.kind === "hostState") seq++;
      fake.send(frame.data);
      await Bun.sleep(0);
    }
    // A good snapshot then a good delta: the view is whole again.
    const base = {
      hostId: "1h1",
      environmentId: "1a1",
      network: null,
      portRange: { start: 49153, end: 65535 },
      services: [],
      hosts: [],
      certificates: [],
      upstreamDns: [],
    };
    const c = (id: string) => ({ id, name: id, hostId: "1h1", state: "running", ip: "10.42.0.9" });
    fake.send(
      JSON.stringify({ type: "hostState", seq: 5000, version: 5000, ...base, containers: [c("1i1")] }),
    );
    fake.send(
      JSON.stringify({
        type: "hostState.delta",
        seq: 5001,
        version: 5001,
        containers: { upsert: [c("1i2")], remove: [] },
      }),
    );
    await until("the view after the fuzz", () => bus.current?.version === 5001, 30_000);
    expect(bus.current!.containers.map((x) => x.id).sort()).toEqual(["1i1", "1i2"]);
    // Events are still answered.
    fake.send(
      JSON.stringify({
        type: "event",
        id: "last",
        agentId: "1ag1",
        name: "instance.inspect",
        data: { containerId: "1i1" },
      }),
    );
    await until(
      "the reply",
      () => fake.frames.some((f) => f.type === "reply" && f.eventId === "last"),
      30_000,
    );
    const grewMb = Math.round(rssAfterGc() - before);
    const reports = fake.frames.filter((f) => f.type === "frameRejected");
    const reasons = new Map<string, number>();
    for (const r of reports) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    console.log(
      `server frames seed ${seed + 1}: ${count} sent; reports ${[...reasons].map(([k, n]) => `${k}:${n}`).join(" ")}; ` +
        `resyncs ${fake.frames.filter((f) => f.type === "hostState.resync").length}; RSS +${grewMb} MB`,
    );
    expect(reports.length).toBeGreaterThan(0);
    expect(fake.invalid).toEqual([]);
    expect(fake.connections()).toBe(1);
    expect(ended).toBe(false);
    expect(grewMb).toBeLessThan(maxGrowthMb);
  } finally {
    stop.abort();
    await running;
    fake.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}, 600_000);
