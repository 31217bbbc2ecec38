// The agent websocket protocol with fake agents: events are addressed to one agent; a reply forged
// by another agent (carrying the id of an event sent to someone else) closes the forger and resolves
// nothing; a reply whose data fails its event's schema rejects that dispatch only; garbage frames
// close only the sender, while HTTP and the other agents keep working.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let projectA: ProjectFixture;
let projectB: ProjectFixture;
let bystander: FakeAgent;

/** A container observation as an agent reports it. */
const observed = { containerId: "1i7", dockerId: "d1i7", name: "web-1", state: "running" as const };

/** Tracks whether a promise settled, and how. */
function watch<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** The bystander still answers events: its session was not disturbed. */
async function bystanderWorks(): Promise<void> {
  expect(server.hub.isConnected(bystander.hostId)).toBe(true);
  const reply = await server.hub.dispatch(bystander.hostId, "host.resync", {}, 3000);
  expect(reply).toEqual({ containers: [] });
  expect((await admin.get("/v2-beta/projects")).status).toBe(200);
}

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  projectA = await createProject(admin);
  projectB = await createProject(admin);
  bystander = await FakeAgent.join(server.url, projectB.token);
  await until("bystander connected", () => server.hub.isConnected(bystander.hostId));
});

afterAll(async () => {
  await bystander.close();
  await server.stop();
});

describe("events and replies", () => {
  test("an event carries the addressee's agent id and its reply resolves the dispatch", async () => {
    const a = await FakeAgent.join(server.url, projectA.token);
    a.autoReply = false;
    const pending = server.hub.dispatch(a.hostId, "instance.inspect", { containerId: "1i7" });
    const event = await a.nextEvent("instance.inspect");
    expect(event).toMatchObject({
      type: "event",
      agentId: a.registration.agentId,
      data: { containerId: "1i7" },
    });
    a.reply(event.id, observed);
    expect(await pending).toEqual(observed);
    await a.close();
  });

  test("a failed reply rejects the dispatch with the agent's error", async () => {
    const a = await FakeAgent.join(server.url, projectA.token);
    a.autoReply = false;
    const pending = server.hub.dispatch(a.hostId, "instance.start", { containerId: "1i1" });
    const event = await a.nextEvent();
    a.send({
      type: "reply",
      eventId: event.id,
      ok: false,
      error: { code: "NotFound", message: "no such container" },
    });
    await expect(pending).rejects.toThrow("no such container");
    expect(a.closeInfo).toBeNull();
    await a.close();
  });

  test.each([
    ["another project", () => projectB],
    ["the same project", () => projectA],
  ])("a reply forged by an agent of %s is refused", async (_where, forgerProject) => {
    const a = await FakeAgent.join(server.url, projectA.token);
    const b = await FakeAgent.join(server.url, forgerProject().token);
    a.autoReply = false;
    b.autoReply = false;
    const pending = watch(server.hub.dispatch(a.hostId, "host.resync", {}, 10_000));
    const event = await a.nextEvent("host.resync");
    b.reply(event.id, { containers: [{ ...observed, name: "forged" }] });
    const closed = await b.closed();
    expect(closed.code).toBe(1008);
    // The forger's frame was handled before its socket closed: had it counted, A's dispatch would be settled.
    await Bun.sleep(20);
    expect(pending.settled).toBe(false);
    expect(a.closeInfo).toBeNull();
    expect(server.hub.isConnected(a.hostId)).toBe(true);
    expect(server.hub.isConnected(b.hostId)).toBe(false);
    a.reply(event.id, { containers: [observed] });
    await until("A's dispatch to settle", () => pending.settled);
    expect(pending.value).toEqual({ containers: [observed] });
    await bystanderWorks();
    await a.close();
  });

  test("a reply to an event nobody sent closes the connection", async () => {
    const a = await FakeAgent.join(server.url, projectA.token);
    a.reply("00000000-0000-0000-0000-000000000000", {});
    expect((await a.closed()).code).toBe(1008);
    await bystanderWorks();
  });

  test("progress for an event that was not sent to this agent closes the connection", async () => {
    const a = await FakeAgent.join(server.url, projectA.token);
    a.autoReply = false;
    const pending = watch(server.hub.dispatch(a.hostId, "host.resync", {}, 10_000));
    const event = await a.nextEvent();
    const b = await FakeAgent.join(server.url, projectA.token);
    b.send({ type: "progress", eventId: event.id, message: "pulling" });
    expect((await b.closed()).code).toBe(1008);
    a.reply(event.id, { containers: [] });
    await until("A's dispatch to settle", () => pending.settled);
    expect(pending.error).toBeUndefined();
    await a.close();
  });
});

describe("malformed replies", () => {
  test("a reply whose data fails the event's schema rejects that dispatch only, and is counted", async () => {
    const a = await FakeAgent.join(server.url, projectA.token);
    a.autoReply = false;
    const before = malformedCount(await metrics(), "instance.stats");
    const pending = watch(server.hub.dispatch(a.hostId, "instance.stats", { containerId: "1i7" }, 10_000));
    const event = await a.nextEvent("instance.stats");
    a.reply(event.id, { cpuPercent: "lots", pids: 1 });
    await until("the dispatch to settle", () => pending.settled);
    expect(String(pending.error)).toContain("malformed reply: cpuPercent");
    expect(malformedCount(await metrics(), "instance.stats")).toBe(before + 1);
    // The session is untouched: the agent is still connected and its next reply counts.
    expect(a.closeInfo).toBeNull();
    expect(server.hub.isConnected(a.hostId)).toBe(true);
    const next = server.hub.dispatch(a.hostId, "instance.inspect", { containerId: "1i7" }, 10_000);
    a.reply((await a.nextEvent("instance.inspect")).id, observed);
    expect(await next).toEqual(observed);
    await bystanderWorks();
    await a.close();
  });
});

/** The server's Prometheus text. */
async function metrics(): Promise<string> {
  const res = await admin.get("/metrics");
  expect(res.status).toBe(200);
  return String(res.body);
}

/** The malformed-reply counter of one event in a Prometheus text (0 when absent). */
function malformedCount(text: string, event: string): number {
  const match = new RegExp(`^corral_agent_replies_malformed_total\\{event="${event}"\\} (\\d+)$`, "m").exec(
    text,
  );
  return match ? Number(match[1]) : 0;
}

describe("garbage frames close only the sender", () => {
  const facts = { hostname: "h" };
  const garbage: [string, () => string | Uint8Array, number[]][] = [
    ["text that is not JSON", () => "hello there", [1007]],
    ["truncated JSON", () => '{"type":"ping","seq":1,', [1007]],
    ["a JSON array", () => "[1,2,3]", [1008]],
    ["a JSON string", () => '"ping"', [1008]],
    ["JSON null", () => "null", [1008]],
    ["an unknown frame type", () => JSON.stringify({ type: "takeover" }), [1008]],
    ["a ping without its fields", () => JSON.stringify({ type: "ping" }), [1008]],
    ["a ping with a negative seq", () => JSON.stringify({ type: "ping", seq: -1, containers: [] }), [1008]],
    [
      "a ping with an extra field",
      () => JSON.stringify({ type: "ping", seq: 1, containers: [], admin: true }),
      [1008],
    ],
    [
      "a hello with bad facts",
      () => JSON.stringify({ type: "hello", agentVersion: "x", facts, containers: [] }),
      [1008],
    ],
    [
      "a reply with an empty event id",
      () => JSON.stringify({ type: "reply", eventId: "", ok: true }),
      [1008],
    ],
    [
      "a reply with a huge event id",
      () => JSON.stringify({ type: "reply", eventId: "e".repeat(10_000), ok: true }),
      [1008],
    ],
    ["a __proto__ frame", () => '{"__proto__":{"type":"ping"},"seq":1,"containers":[]}', [1008]],
    ["binary junk", () => new Uint8Array([0xff, 0x00, 0xfe, 0x13, 0x37, 0x80]), [1007, 1008]],
    [
      "a 5 MB frame",
      () => JSON.stringify({ type: "ping", seq: 1, containers: [], pad: "x".repeat(5_000_000) }),
      [1009],
    ],
  ];

  test.each(garbage)("%s", async (_what, frame, codes) => {
    const agent = await FakeAgent.join(server.url, projectA.token, { ping: false });
    const hostId = agent.hostId;
    expect(server.hub.isConnected(hostId)).toBe(true);
    agent.sendRaw(frame());
    const closed = await agent.closed();
    expect(codes).toContain(closed.code);
    await until("the hub to forget the session", () => !server.hub.isConnected(hostId));
    await bystanderWorks();
    // The same agent may connect again and be served normally.
    await agent.connect();
    agent.hello();
    await until("reconnected", () => server.hub.isConnected(hostId));
    const reply = await server.hub.dispatch(hostId, "host.resync", {}, 3000);
    expect(reply).toBeDefined();
    await agent.close();
  });
});
