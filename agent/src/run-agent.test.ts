import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentFrame,
  agentFrameSchema,
  agentPaths,
  healthCheckSchema,
  registerSchema,
} from "@corral/api";
import type { ServerWebSocket } from "bun";
import { FakeDriver } from "../testing/fake-driver.ts";
import { register } from "./register.ts";
import { connectUrl, runAgent } from "./run-agent.ts";

/** A tiny stand-in for the Corral server: the register endpoint and the agent websocket. */
function fakeServer() {
  const registrations: {
    uuid: string;
    token: string;
    labels?: Record<string, string>;
    authorization: string | null;
  }[] = [];
  const validKeys = new Set<string>();
  const frames: AgentFrame[] = [];
  const invalid: string[] = [];
  let connections = 0;
  let socket: ServerWebSocket<unknown> | undefined;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === agentPaths.register && req.method === "POST") {
        const body = registerSchema.parse(await req.json());
        registrations.push({ ...body, authorization: req.headers.get("authorization") });
        const n = registrations.length;
        validKeys.add(Buffer.from(`ak${n}:sk${n}`).toString("base64"));
        return Response.json({
          type: "agentRegistration",
          hostId: "1h1",
          agentId: "1ag1",
          projectId: "1a1",
          accessKey: `ak${n}`,
          secretKey: `sk${n}`,
        });
      }
      if (url.pathname === agentPaths.connect) {
        const auth = req.headers.get("authorization") ?? "";
        if (!validKeys.has(auth.replace(/^Basic /, ""))) return new Response("unauthorized", { status: 401 });
        if (srv.upgrade(req, { data: undefined })) return undefined;
      }
      return new Response("not found", { status: 404 });
    },
    websocket: {
      open(ws) {
        connections++;
        socket = ws;
        ws.send(JSON.stringify({ type: "welcome", hostId: "1h1", agentId: "1ag1", pingIntervalMs: 60_000 }));
      },
      message(_ws, message) {
        const parsed = agentFrameSchema.safeParse(JSON.parse(String(message)));
        if (parsed.success) frames.push(parsed.data);
        else invalid.push(String(message));
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    registrations,
    validKeys,
    frames,
    invalid,
    connections: () => connections,
    send: (frame: unknown) => socket?.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    drop: () => socket?.close(),
    stop: () => server.stop(true),
  };
}

// Generous: on a loaded machine the agent can take seconds to collect host facts before its hello.
async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const stateDir = join(mkdtempSync(join(tmpdir(), "corral-agent-state-")), "state");
afterAll(() => rmSync(join(stateDir, ".."), { recursive: true, force: true }));

describe("runAgent against a fake server", () => {
  test("connectUrl turns http into ws", () => {
    expect(connectUrl("https://s:8080/")).toBe(`wss://s:8080${agentPaths.connect}`);
    expect(connectUrl("http://s")).toBe(`ws://s${agentPaths.connect}`);
  });

  test("registers, says hello, pings, answers events, reconnects and re-registers keeping its uuid", async () => {
    const server = fakeServer();
    const driver = new FakeDriver();
    const stop = new AbortController();
    const running = runAgent({
      url: server.url,
      token: "token-123456",
      stateDir,
      labels: { zone: "a" },
      driver,
      signal: stop.signal,
      pingIntervalMsOverride: 30,
    });
    try {
      await until("hello", () => server.frames.some((f) => f.type === "hello"));
      expect(server.registrations).toHaveLength(1);
      expect(server.registrations[0]?.labels).toEqual({ zone: "a" });
      // A first registration has no key to show.
      expect(server.registrations[0]?.authorization).toBeNull();
      const uuid = server.registrations[0]?.uuid;
      await until("two pings", () => server.frames.filter((f) => f.type === "ping").length >= 2);
      const hello = server.frames.find((f) => f.type === "hello");
      expect(hello).toMatchObject({ type: "hello", facts: { dockerVersion: "99.0.0-fake" }, containers: [] });
      // Pings carry the host status record; with a fake engine only the health controller runs.
      await until("controllers in a ping", () =>
        server.frames.some((f) => f.type === "ping" && f.controllers?.health?.state === "ready"),
      );
      const ping = server.frames.findLast((f) => f.type === "ping");
      expect(Object.keys((ping?.type === "ping" && ping.controllers) || {})).toEqual(["health"]);

      // The state file holds the key pair, private to root.
      const state = JSON.parse(await readFile(join(stateDir, "agent.json"), "utf8"));
      expect(state).toMatchObject({
        uuid,
        hostId: "1h1",
        agentId: "1ag1",
        accessKey: "ak1",
        secretKey: "sk1",
      });
      expect(statSync(join(stateDir, "agent.json")).mode & 0o777).toBe(0o600);
      expect(statSync(stateDir).mode & 0o777).toBe(0o700);

      // Garbage is ignored; the next event is still answered.
      server.send("{not json");
      server.send({ type: "mystery" });
      server.send({ type: "event", id: "bad1", agentId: "1ag1", name: "instance.fly", data: {} });
      // Data that fails its event's schema is answered with the field at fault; the session stays up.
      server.send({
        type: "event",
        id: "bad2",
        agentId: "1ag1",
        name: "instance.start",
        data: { containerId: 5 },
      });
      server.send({
        type: "event",
        id: "ev1",
        agentId: "1ag1",
        name: "instance.create",
        data: {
          start: true,
          spec: {
            containerId: "1i1",
            projectId: "1a1",
            name: "web",
            image: "corral/busybox:latest",
            environment: {},
            labels: {},
            ports: [],
            volumes: [],
            networkMode: "managed",
            tty: false,
            stdinOpen: false,
            pullPolicy: "missing",
          },
        },
      });
      server.send({ type: "event", id: "ev2", agentId: "1ag9", name: "host.resync", data: {} });
      await until("replies", () => server.frames.filter((f) => f.type === "reply").length >= 4);
      const replies = server.frames.filter((f) => f.type === "reply");
      expect(replies.find((r) => r.eventId === "ev1")).toMatchObject({
        ok: true,
        data: { state: "running" },
      });
      expect(replies.find((r) => r.eventId === "ev2")).toMatchObject({
        ok: false,
        error: { code: "PermissionDenied" },
      });
      expect(replies.find((r) => r.eventId === "bad1")).toMatchObject({
        ok: false,
        error: { code: "InvalidFormat" },
      });
      expect(replies.find((r) => r.eventId === "bad2")).toMatchObject({
        ok: false,
        error: { code: "InvalidFormat", message: expect.stringContaining("containerId: ") },
      });
      expect(server.connections()).toBe(1);
      // Frames it could not take are reported with the reason, and it asks for a snapshot once.
      await until("reports", () => server.frames.filter((f) => f.type === "frameRejected").length >= 2);
      expect(
        server.frames.flatMap((f) => (f.type === "frameRejected" ? [[f.reason, f.frameType]] : [])),
      ).toEqual([
        ["notJson", null],
        ["invalid", "mystery"],
      ]);
      expect(server.frames.filter((f) => f.type === "hostState.resync")).toHaveLength(1);

      // Docker events are relayed while connected.
      driver.emit({ action: "die", containerId: "1i1", dockerId: [...driver.containers.keys()][0]! });
      await until("containerEvent", () => server.frames.some((f) => f.type === "containerEvent"));

      // The server drops the socket: the agent comes back on its own, containers untouched.
      server.drop();
      await until(
        "reconnect",
        () => server.connections() === 2 && server.frames.filter((f) => f.type === "hello").length === 2,
      );
      expect(server.registrations).toHaveLength(1);
      expect(driver.calls.filter((c) => c.startsWith("stop") || c.startsWith("remove"))).toEqual([]);
      const secondHello = server.frames.filter((f) => f.type === "hello")[1];
      expect(secondHello).toMatchObject({ containers: [{ containerId: "1i1", state: "running" }] });

      // The key is revoked: the connect answers 401, the agent registers again with the same uuid.
      server.validKeys.clear();
      server.drop();
      await until("re-registration", () => server.registrations.length === 2);
      expect(server.registrations[1]?.uuid).toBe(uuid!);
      // It joins again with the key it holds, the proof that it is this host.
      expect(server.registrations[1]?.authorization).toBe(`Basic ${btoa("ak1:sk1")}`);
      await until("third hello", () => server.frames.filter((f) => f.type === "hello").length === 3);
      expect(JSON.parse(await readFile(join(stateDir, "agent.json"), "utf8"))).toMatchObject({
        uuid,
        accessKey: "ak2",
      });
      expect(server.invalid).toEqual([]);
    } finally {
      stop.abort();
      await running;
      server.stop();
    }
  });

  test("registering with another server sends no key of the previous one", async () => {
    const server = fakeServer();
    try {
      const registered = {
        uuid: "uuid-moved-0001",
        accessKey: "akOld",
        secretKey: "skOld",
        agentId: "1a9",
        hostId: "1h9",
      };
      await register(
        { ...registered, url: "http://elsewhere.invalid:8080" },
        { url: server.url, token: "token-123456" },
      );
      await register({ ...registered, url: `${server.url}/` }, { url: server.url, token: "token-123456" });
      expect(server.registrations.map((r) => r.authorization)).toEqual([
        null,
        `Basic ${btoa("akOld:skOld")}`,
      ]);
    } finally {
      server.stop();
    }
  });

  test("a restarted agent reuses its stored key without a token", async () => {
    const server = fakeServer();
    server.validKeys.add(Buffer.from("ak2:sk2").toString("base64"));
    const stop = new AbortController();
    const running = runAgent({ url: server.url, stateDir, driver: new FakeDriver(), signal: stop.signal });
    await until("hello", () => server.frames.some((f) => f.type === "hello"));
    expect(server.registrations).toHaveLength(0);
    stop.abort();
    await running;
    server.stop();
  });

  test("health: reports checked containers, new ones from instance.create, and re-sends after a reconnect", async () => {
    const server = fakeServer();
    server.validKeys.add(Buffer.from("ak2:sk2").toString("base64"));
    const driver = new FakeDriver();
    const healthCheck = healthCheckSchema.parse({ port: 80, interval: 100, healthyThreshold: 1 });
    const spec = {
      containerId: "1i5",
      projectId: "1a1",
      name: "checked",
      image: "corral/busybox:latest",
      environment: {},
      labels: {},
      ports: [],
      volumes: [],
      networkMode: "managed",
      tty: false,
      stdinOpen: false,
      pullPolicy: "missing",
      healthCheck,
    } as const;
    await driver.start((await driver.create({ ...spec, ports: [], volumes: [] }, "1h1")).dockerId);
    const stop = new AbortController();
    const probed: string[] = [];
    const running = runAgent({
      url: server.url,
      stateDir,
      driver,
      signal: stop.signal,
      healthProbe: async (target) => {
        probed.push(`${target.address}:${target.port}`);
        return { ok: true };
      },
    });
    const health = (containerId: string) =>
      server.frames.flatMap((f, i) =>
        f.type === "healthEvent" && f.containerId === containerId ? [`${i}:${f.healthState}`] : [],
      );
    try {
      await until("healthy", () => health("1i5").some((h) => h.endsWith("healthy")));
      expect(probed[0]).toBe("172.17.0.9:80");
      server.send({
        type: "event",
        id: "ev9",
        agentId: "1ag1",
        name: "instance.create",
        data: { start: true, spec: { ...spec, containerId: "1i6", name: "checked-2" } },
      });
      await until("second container healthy", () => health("1i6").some((h) => h.endsWith(":healthy")));
      server.drop();
      await until("second hello", () => server.frames.filter((f) => f.type === "hello").length === 2);
      const secondHello = server.frames.findLastIndex((f) => f.type === "hello");
      await until("re-sent states", () =>
        ["1i5", "1i6"].every((id) => health(id).some((h) => Number(h.split(":")[0]) > secondHello)),
      );
      expect(server.invalid).toEqual([]);
    } finally {
      stop.abort();
      await running;
      server.stop();
    }
  });

  test("without stored keys or a token it refuses to start", async () => {
    const empty = mkdtempSync(join(tmpdir(), "corral-agent-empty-"));
    await expect(
      runAgent({ url: "http://127.0.0.1:1", stateDir: empty, driver: new FakeDriver() }),
    ).rejects.toThrow(/registration token/);
    rmSync(empty, { recursive: true, force: true });
  });
});
