// Exec streams through the server with a fake host: a browser-like client that asks for the
// corral.exec.v1 subprotocol sends stdin as binary frames and terminal sizes as JSON text frames;
// the server passes both to the agent (streamInput data / resize), refuses bad control frames with
// a reason and keeps the stream going; a size sent before the stream opened is passed on once it
// is. Clients without the subprotocol keep their framing (text is stdin; Rancher's is base64).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { type AutoReply, FakeAgent } from "./fake-agent.ts";
import { adminClient, type Client, expectStatus, startTestServer, until } from "./harness.ts";

let server: RunningServer;
let admin: Client;
let agent: FakeAgent;
let containerPath = "";
let docker: AutoReply;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  const base = `/v2-beta/projects/${server.admin.defaultProjectId}`;
  const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
  agent = await FakeAgent.join(server.url, token);
  docker = agent.autoReply;
  agent.autoReply = opensExecs;
  const created = expectStatus(
    await admin.post(`${base}/containers`, { name: "shell", imageUuid: "docker:busybox" }),
    201,
  );
  containerPath = `${base}/containers/${created.body.id}`;
  await until(
    "the container runs",
    async () => (await admin.get(containerPath)).body.state === "running",
    10_000,
  );
});

afterAll(async () => {
  await agent?.close().catch(() => undefined);
  await server?.stop();
});

/** Answers like a Docker host, and opens every exec stream (the test plays its output). */
const opensExecs: AutoReply = (event) => {
  if (event.name === "instance.exec") return { streamId: (event.data as { streamId: string }).streamId };
  return docker ? docker(event) : {};
};

/** The stream input frames the agent got for its one open exec stream. */
function inputs(): { streamId: string; data?: string; resize?: unknown; close?: boolean }[] {
  return agent.frames.filter((f) => (f as { type?: string }).type === "streamInput") as never;
}

async function execUrl(): Promise<string> {
  const answer = expectStatus(
    await admin.post(`${containerPath}?action=execute`, {
      command: ["/bin/sh"],
      tty: true,
      attachStdin: true,
    }),
    200,
  );
  return answer.body.url;
}

/** Opens a websocket and waits until it is open; collects what it receives. */
async function open(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const received: (string | Uint8Array)[] = [];
  ws.onmessage = (m) => received.push(typeof m.data === "string" ? m.data : new Uint8Array(m.data));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("the websocket did not open"));
  });
  return { ws, received };
}

describe("exec with the control subprotocol", () => {
  test("stdin and resizes reach the agent; garbage resizes are refused and the stream goes on", async () => {
    agent.frames.length = 0;
    const { ws, received } = await open(await execUrl(), ["corral.exec.v1"]);
    expect(ws.protocol).toBe("corral.exec.v1");
    ws.send(JSON.stringify({ resize: { cols: 120, rows: 40 } }));
    ws.send(new TextEncoder().encode("echo hi\n"));
    const garbage = [
      "not json",
      JSON.stringify({ resize: { cols: "wide", rows: 24 } }),
      JSON.stringify({ resize: { cols: -5, rows: 24 } }),
      JSON.stringify({ resize: { cols: 80, rows: 1e12 } }),
      JSON.stringify({ resize: { cols: 80.5, rows: 24 } }),
      JSON.stringify({ hello: 1 }),
      "x".repeat(100_000),
    ];
    for (const g of garbage) ws.send(g);
    ws.send(JSON.stringify({ resize: { cols: 90, rows: 30 } }));
    await until(
      "every refusal",
      () => received.filter((r) => typeof r === "string").length === garbage.length,
    );
    for (const r of received) expect(JSON.parse(r as string)).toHaveProperty("refused");
    await until("the last resize", () => inputs().some((f) => (f.resize as { cols?: number })?.cols === 90));
    const id = inputs()[0]!.streamId;
    expect(
      inputs().map(({ data, resize }) => (data ? Buffer.from(data, "base64").toString() : resize)),
    ).toEqual([{ cols: 120, rows: 40 }, "echo hi\n", { cols: 90, rows: 30 }]);
    // The stream still carries output, as raw bytes in binary frames.
    agent.send({ type: "stream", streamId: id, data: Buffer.from("hi\r\n").toString("base64") });
    await until("the output", () => received.some((r) => typeof r !== "string"));
    expect(new TextDecoder().decode(received.find((r) => typeof r !== "string") as Uint8Array)).toBe(
      "hi\r\n",
    );
    agent.send({ type: "stream", streamId: id, end: true, exitCode: 0 });
    await new Promise<void>((resolve) => {
      ws.onclose = () => resolve();
    });
  });

  test("a size sent before the exec opened on the host is passed on once it has", async () => {
    agent.frames.length = 0;
    agent.autoReply = false;
    try {
      const url = await execUrl();
      const { ws } = await open(url, ["corral.exec.v1"]);
      ws.send(JSON.stringify({ resize: { cols: 50, rows: 10 } }));
      ws.send(JSON.stringify({ resize: { cols: 60, rows: 20 } }));
      ws.send(new TextEncoder().encode("ls\n"));
      const event = await agent.nextEvent("instance.exec");
      await Bun.sleep(50);
      expect(inputs()).toEqual([]);
      const streamId = (event.data as { streamId: string }).streamId;
      agent.reply(event.id, { streamId });
      await until("the held input", () => inputs().length === 2);
      expect(inputs().map((f) => f.resize ?? Buffer.from(f.data!, "base64").toString())).toEqual([
        { cols: 60, rows: 20 },
        "ls\n",
      ]);
      ws.close();
      await until("the close", () => inputs().some((f) => f.close));
    } finally {
      agent.autoReply = opensExecs;
    }
  });
});

describe("exec without it", () => {
  test("text frames stay stdin, and no subprotocol is chosen", async () => {
    agent.frames.length = 0;
    const { ws } = await open(await execUrl());
    expect(ws.protocol).toBe("");
    ws.send(JSON.stringify({ resize: { cols: 120, rows: 40 } }));
    await until("the input", () => inputs().length === 1);
    expect(inputs()[0]!.resize).toBeUndefined();
    expect(Buffer.from(inputs()[0]!.data!, "base64").toString()).toBe('{"resize":{"cols":120,"rows":40}}');
    ws.close();
    await until("the close", () => inputs().some((f) => f.close));
  });

  test("Rancher's framing (the token appended again) stays base64 stdin", async () => {
    agent.frames.length = 0;
    const url = await execUrl();
    const token = new URL(url).searchParams.get("token");
    const { ws } = await open(`${url}?token=${token}`);
    ws.send(Buffer.from("pwd\n").toString("base64"));
    await until("the input", () => inputs().some((f) => f.data));
    expect(Buffer.from(inputs().find((f) => f.data)!.data!, "base64").toString()).toBe("pwd\n");
    ws.close();
  });
});
