import { describe, expect, test } from "bun:test";
import {
  type AgentFrame,
  agentFrameSchema,
  describeIssue,
  type InstanceSpec,
  parseEventReply,
  type ServerEvent,
} from "@corral/api";
import { AppError, createLogger } from "@corral/lib";
import { FakeDriver } from "../testing/fake-driver.ts";
import { EventHandler } from "./event-handler.ts";
import { parseServerFrame } from "./session.ts";

const logger = createLogger("test");

function spec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
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
    ...overrides,
  };
}

function harness() {
  const driver = new FakeDriver();
  const frames: AgentFrame[] = [];
  // Every frame the agent sends must satisfy the protocol, whatever the test is about.
  const send = (frame: AgentFrame) => frames.push(agentFrameSchema.parse(frame));
  const handler = new EventHandler({ driver, send, agentId: "1ag1", hostId: "1h1", logger });
  let n = 0;
  const run = async (name: ServerEvent["name"], data: Record<string, unknown>, agentId = "1ag1") => {
    const id = `e${++n}`;
    await handler.handle({ type: "event", id, agentId, name, data });
    const replies = frames.filter((f) => f.type === "reply" && f.eventId === id);
    expect(replies).toHaveLength(1);
    const reply = replies[0] as Extract<AgentFrame, { type: "reply" }>;
    // A successful reply must pass the schema the server checks it against.
    if (reply.ok) {
      const checked = parseEventReply(name, reply.data);
      expect(checked.error ? describeIssue(checked.error) : "valid").toBe("valid");
    }
    return reply;
  };
  return { driver, frames, handler, run };
}

describe("EventHandler", () => {
  test("creates and starts a container, replying once with the observation", async () => {
    const { run, driver } = harness();
    const reply = await run("instance.create", { spec: spec(), start: true });
    expect(reply.ok).toBe(true);
    expect(reply.data).toMatchObject({ containerId: "1i1", state: "running", ipAddress: "172.17.0.9" });
    expect(driver.calls.filter((c) => c.startsWith("create"))).toEqual(["create 1i1"]);
  });

  test("a retried create reuses the container found by its label", async () => {
    const { run, driver } = harness();
    const first = await run("instance.create", { spec: spec(), start: false });
    const second = await run("instance.create", { spec: spec(), start: false });
    expect(second.data?.dockerId).toBe(first.data?.dockerId as string);
    expect(driver.calls.filter((c) => c.startsWith("create"))).toHaveLength(1);
  });

  test("concurrent creates of one container make one container", async () => {
    const { handler, driver, frames } = harness();
    const event = (id: string): ServerEvent => ({
      type: "event",
      id,
      agentId: "1ag1",
      name: "instance.create",
      data: { spec: spec(), start: false },
    });
    await Promise.all([handler.handle(event("a")), handler.handle(event("b"))]);
    expect(driver.containers.size).toBe(1);
    expect(frames.filter((f) => f.type === "reply" && f.ok)).toHaveLength(2);
  });

  test("pull policies: missing pulls with progress, never refuses, always pulls", async () => {
    const { run, driver, frames } = harness();
    const pulled = await run("instance.create", {
      spec: spec({ image: "nginx:1", containerId: "1i2", name: "a" }),
    });
    expect(pulled.ok).toBe(true);
    expect(frames.some((f) => f.type === "progress" && f.message.includes("Pulling fs layer"))).toBe(true);
    const never = await run("instance.create", {
      spec: spec({ image: "other:1", containerId: "1i3", name: "b", pullPolicy: "never" }),
    });
    expect(never.error?.code).toBe("InvalidReference");
    const missing = await run("instance.create", {
      spec: spec({ image: "missing/x", containerId: "1i4", name: "c" }),
    });
    expect(missing.error?.code).toBe("InvalidReference");
    await run("instance.create", { spec: spec({ containerId: "1i5", name: "d", pullPolicy: "always" }) });
    expect(driver.calls).toContain("pull corral/busybox:latest");
  });

  test("refuses events addressed to another agent without touching Docker", async () => {
    const { run, driver } = harness();
    const reply = await run("instance.create", { spec: spec() }, "1ag2");
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe("PermissionDenied");
    expect(driver.calls).toHaveLength(0);
  });

  test("unknown containers are NotFound; remove of an absent one succeeds", async () => {
    const { run } = harness();
    for (const name of [
      "instance.start",
      "instance.stop",
      "instance.restart",
      "instance.inspect",
      "instance.stats",
    ] as const) {
      const reply = await run(name, { containerId: "1i404" });
      expect(reply.error?.code).toBe("NotFound");
    }
    expect((await run("instance.logs", { containerId: "1i404", streamId: "s1" })).error?.code).toBe(
      "NotFound",
    );
    expect(
      (await run("instance.exec", { containerId: "1i404", streamId: "s2", command: ["sh"] })).error?.code,
    ).toBe("NotFound");
    const removed = await run("instance.remove", { containerId: "1i404" });
    expect(removed).toMatchObject({ ok: true, data: { removed: true } });
  });

  test("bad event data is answered with InvalidFormat naming the field, without touching Docker", async () => {
    const { run, driver } = harness();
    const cases: [ServerEvent["name"], Record<string, unknown>, string][] = [
      ["instance.start", { containerId: 5 }, "containerId"],
      ["instance.create", { spec: { ...spec(), name: 7 } }, "spec.name"],
      ["instance.stop", { containerId: "1i1", timeoutSec: "soon" }, "timeoutSec"],
      ["instance.logs", { containerId: "1i1" }, "streamId"],
      ["instance.exec", { containerId: "1i1", streamId: "x1", command: [] }, "command"],
    ];
    for (const [name, data, field] of cases) {
      const reply = await run(name, data);
      expect(reply.error?.code).toBe("InvalidFormat");
      expect(reply.error?.message).toStartWith(`invalid event data: ${field}: `);
    }
    expect(driver.calls).toEqual([]);
    // The handler goes on serving well-formed events.
    expect((await run("instance.create", { spec: spec(), start: true })).ok).toBe(true);
  });

  test("lifecycle: stop, start, restart, inspect, stats, resync, remove", async () => {
    const { run } = harness();
    const created = await run("instance.create", { spec: spec(), start: true });
    const dockerId = created.data?.dockerId as string;
    expect((await run("instance.stop", { containerId: "1i1", dockerId })).data?.state).toBe("exited");
    expect((await run("instance.start", { containerId: "1i1", dockerId: null })).data?.state).toBe("running");
    expect((await run("instance.restart", { containerId: "1i1", timeoutSec: 1 })).data?.state).toBe(
      "running",
    );
    expect((await run("instance.inspect", { containerId: "1i1" })).data?.dockerId).toBe(dockerId);
    expect((await run("instance.stats", { containerId: "1i1", dockerId })).data).toMatchObject({ pids: 1 });
    const resync = await run("host.resync", {});
    expect((resync.data?.containers as unknown[] | undefined)?.length).toBe(1);
    expect((await run("instance.remove", { containerId: "1i1", dockerId })).data).toEqual({ removed: true });
    expect(((await run("host.resync", {})).data?.containers as unknown[] | undefined)?.length).toBe(0);
  });

  test("logs: reply first, then data, then end", async () => {
    const { run, driver, frames } = harness();
    await run("instance.create", { spec: spec(), start: true });
    for (const c of driver.containers.values()) c.log = "hello log\n";
    const reply = await run("instance.logs", { containerId: "1i1", streamId: "s1", follow: false });
    expect(reply.data).toEqual({ streamId: "s1" });
    await Bun.sleep(5);
    const stream = frames.filter((f) => f.type === "stream" && f.streamId === "s1");
    const replyAt = frames.indexOf(reply);
    expect(frames.indexOf(stream[0]!)).toBeGreaterThan(replyAt);
    const data = stream
      .map((f) => (f.type === "stream" && f.data ? Buffer.from(f.data, "base64").toString() : ""))
      .join("");
    expect(data).toBe("hello log\n");
    expect(stream.at(-1)).toMatchObject({ end: true });
  });

  test("following logs stop on streamInput close", async () => {
    const { run, handler, frames } = harness();
    await run("instance.create", { spec: spec(), start: true });
    await run("instance.logs", { containerId: "1i1", streamId: "f1", follow: true });
    await Bun.sleep(5);
    expect(frames.some((f) => f.type === "stream" && f.end)).toBe(false);
    handler.streamInput("f1", { close: true });
    await Bun.sleep(5);
    expect(frames.filter((f) => f.type === "stream" && f.end)).toHaveLength(1);
  });

  test("exec: output and exit code, stdin through streamInput", async () => {
    const { run, handler, frames } = harness();
    await run("instance.create", { spec: spec(), start: true });
    await run("instance.exec", { containerId: "1i1", streamId: "x1", command: ["echo", "hi"] });
    await run("instance.exec", { containerId: "1i1", streamId: "x2", command: ["exit", "3"] });
    await run("instance.exec", { containerId: "1i1", streamId: "x3", command: ["cat"], attachStdin: true });
    handler.streamInput("x3", { data: Buffer.from("typed\n").toString("base64") });
    handler.streamInput("x3", { close: true });
    await Bun.sleep(5);
    const of = (id: string) =>
      frames.filter((f) => f.type === "stream" && f.streamId === id) as Extract<
        AgentFrame,
        { type: "stream" }
      >[];
    const text = (id: string) =>
      of(id)
        .map((f) => (f.data ? Buffer.from(f.data, "base64").toString() : ""))
        .join("");
    expect(text("x1")).toBe("hi\n");
    expect(of("x1").at(-1)).toMatchObject({ end: true, exitCode: 0 });
    expect(of("x2").at(-1)).toMatchObject({ end: true, exitCode: 3 });
    expect(text("x3")).toBe("typed\n");
    expect(of("x3").at(-1)).toMatchObject({ end: true, exitCode: 0 });
  });

  test("exec: a resize reaches the exec's terminal; for an unknown stream it is ignored", async () => {
    const { run, handler, driver } = harness();
    await run("instance.create", { spec: spec(), start: true });
    await run("instance.exec", { containerId: "1i1", streamId: "t1", command: ["cat"], tty: true });
    handler.streamInput("t1", { resize: { cols: 101, rows: 33 } });
    handler.streamInput("nope", { resize: { cols: 5, rows: 5 } });
    expect(driver.resizes.map(({ cols, rows }) => [cols, rows])).toEqual([[101, 33]]);
    handler.streamInput("t1", { close: true });
  });

  test("a stream that fails after its reply ends with the error", async () => {
    const { run, driver, frames } = harness();
    await run("instance.create", { spec: spec(), start: true });
    for (const c of driver.containers.values()) c.log = "FAIL";
    expect((await run("instance.logs", { containerId: "1i1", streamId: "l9", follow: true })).ok).toBe(true);
    expect((await run("instance.exec", { containerId: "1i1", streamId: "x9", command: ["fail"] })).ok).toBe(
      true,
    );
    await Bun.sleep(20);
    const last = (id: string) => frames.filter((f) => f.type === "stream" && f.streamId === id).at(-1);
    expect(last("l9")).toEqual({ type: "stream", streamId: "l9", end: true, error: "log stream broke" });
    expect(last("x9")).toEqual({ type: "stream", streamId: "x9", end: true, error: "exec stream broke" });
  });

  test("instance.create tells onContainer which container it made", async () => {
    const driver = new FakeDriver();
    const seen: string[] = [];
    const handler = new EventHandler({
      driver,
      send: () => {},
      agentId: "1ag1",
      hostId: "1h1",
      logger,
      onContainer: (dockerId) => seen.push(dockerId),
    });
    await handler.handle({
      type: "event",
      id: "e1",
      agentId: "1ag1",
      name: "instance.create",
      data: { spec: spec() },
    });
    expect(seen).toEqual([...driver.containers.keys()]);
  });

  test("a container whose managed network was recreated before its start is made again and started", async () => {
    const { run, driver } = harness();
    const realStart = driver.start.bind(driver);
    let first = true;
    driver.start = async (dockerId: string) => {
      if (first) {
        first = false;
        throw new AppError("NotFound", "network corral-managed not found");
      }
      await realStart(dockerId);
    };
    const reply = await run("instance.create", { spec: spec(), start: true });
    expect(reply.error).toBeUndefined();
    expect(driver.calls.filter((c) => /^(create|remove|start)/.test(c)).map((c) => c.split(" ")[0])).toEqual([
      "create",
      "remove",
      "create",
      "start",
    ]);
    expect([...driver.containers.values()].map((c) => c.observation.state)).toEqual(["running"]);
  });

  test("a stream id in use is refused", async () => {
    const { run } = harness();
    await run("instance.create", { spec: spec(), start: true });
    await run("instance.logs", { containerId: "1i1", streamId: "dup", follow: true });
    expect((await run("instance.logs", { containerId: "1i1", streamId: "dup" })).error?.code).toBe(
      "NotUnique",
    );
  });
});

describe("parseServerFrame", () => {
  test("reports garbage with a reason, and marks invalid events so they can be answered", () => {
    expect(parseServerFrame("not json", logger)).toMatchObject({ rejected: { reason: "notJson", bytes: 8 } });
    expect(parseServerFrame(JSON.stringify({ type: "nope" }), logger)).toMatchObject({
      rejected: { reason: "invalid", frameType: "nope" },
    });
    expect(parseServerFrame(JSON.stringify([1, 2]), logger)).toMatchObject({
      rejected: { reason: "invalid", frameType: null },
    });
    expect(parseServerFrame(`"${"x".repeat(4 * 1024 * 1024)}"`, logger)).toMatchObject({
      rejected: { reason: "tooLarge" },
    });
    const bad = parseServerFrame(
      JSON.stringify({ type: "event", id: "e9", agentId: "1ag1", name: "x.y", data: {} }),
      logger,
    );
    expect(bad).toMatchObject({ badEvent: "e9" });
    const ok = parseServerFrame(
      JSON.stringify({ type: "welcome", hostId: "1h1", agentId: "1ag1", pingIntervalMs: 5 }),
      logger,
    );
    expect(ok).toMatchObject({ frame: { type: "welcome" } });
  });
});
