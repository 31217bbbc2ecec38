import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentFrame,
  agentFrameSchema,
  describeIssue,
  type InstanceSpec,
  labelKeys,
  parseEventReply,
  type ServerEvent,
} from "@corral/api";
import { createLogger } from "@corral/lib";
import Docker from "dockerode";
import { relayContainerEvents } from "./container-events.ts";
import { DockerEvents } from "./docker-events.ts";
import { createDockerDriver } from "./dockerode-driver.ts";
import { EventHandler } from "./event-handler.ts";

// Integration tests against the local dockerd, with the locally built corral/busybox image.
const socket = "/var/run/docker.sock";
const haveDocker = existsSync(socket);
const run = Math.random().toString(36).slice(2, 8);
const prefix = `corral-agent-test-${run}`;
const containerId = `1i9${Date.now() % 1_000_000}`;
const hostDir = mkdtempSync(join(tmpdir(), "corral-agent-"));
const logger = createLogger("test");

const spec: InstanceSpec = {
  containerId,
  projectId: "1a1",
  name: `${prefix}-web`,
  image: "corral/busybox:latest",
  command: [
    "sh",
    "-c",
    "echo hello-from-logs; echo to-stderr >&2; echo $GREETING; exec httpd -f -p 80 -h /www",
  ],
  environment: { GREETING: "env-works" },
  labels: { "test.run": run },
  ports: [{ privatePort: 80, publicPort: 0, protocol: "tcp" }],
  volumes: ["/anon", `${prefix}-vol:/named`, `${hostDir}:/host:ro`],
  networkMode: "managed",
  tty: false,
  stdinOpen: false,
  pullPolicy: "never",
  restartPolicy: { name: "no" },
};

describe.skipIf(!haveDocker)("dockerode driver against dockerd", () => {
  const driver = createDockerDriver(socket);
  const frames: AgentFrame[] = [];
  const send = (frame: AgentFrame) => frames.push(agentFrameSchema.parse(frame));
  const handler = new EventHandler({ driver, send, agentId: "1ag1", hostId: "1h1", logger });
  const relay = new AbortController();
  let relayDone: Promise<void> = Promise.resolve();
  let n = 0;
  let dockerId = "";

  const call = async (name: ServerEvent["name"], data: Record<string, unknown>) => {
    const id = `it${++n}`;
    await handler.handle({ type: "event", id, agentId: "1ag1", name, data });
    const replies = frames.filter((f) => f.type === "reply" && f.eventId === id);
    expect(replies).toHaveLength(1);
    const reply = replies[0] as Extract<AgentFrame, { type: "reply" }>;
    // What Docker really reports must pass the reply schema the server checks.
    if (reply.ok) {
      const checked = parseEventReply(name, reply.data);
      expect(checked.error ? describeIssue(checked.error) : "valid").toBe("valid");
    }
    return reply;
  };
  const streamOf = (streamId: string) =>
    frames.filter((f) => f.type === "stream" && f.streamId === streamId) as Extract<
      AgentFrame,
      { type: "stream" }
    >[];
  const textOf = (streamId: string) =>
    streamOf(streamId)
      .map((f) => (f.data ? Buffer.from(f.data, "base64").toString() : ""))
      .join("");
  const ended = async (streamId: string) => {
    for (let i = 0; i < 200 && !streamOf(streamId).some((f) => f.end); i++) await Bun.sleep(25);
    return streamOf(streamId).at(-1);
  };

  beforeAll(() => {
    writeFileSync(join(hostDir, "marker"), "from-host\n");
    const events = new DockerEvents({ driver, logger });
    relayContainerEvents({ driver, events, send });
    relayDone = events.run(relay.signal);
  });

  afterAll(async () => {
    relay.abort();
    await relayDone;
    const docker = new Docker({ socketPath: socket });
    const ours = await docker.listContainers({ all: true, filters: { label: [`test.run=${run}`] } });
    await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    await docker
      .getVolume(`${prefix}-vol`)
      .remove()
      .catch(() => undefined);
    rmSync(hostDir, { recursive: true, force: true });
  });

  test("reports the engine version", async () => {
    expect(await driver.version()).toMatch(/^\d+\./);
  });

  test("creates and starts a container with labels, env, a random port and volumes", async () => {
    const reply = await call("instance.create", { spec, start: true });
    expect(reply.ok).toBe(true);
    expect(reply.data).toMatchObject({ containerId, state: "running", name: spec.name });
    dockerId = reply.data?.dockerId as string;
    const ports = reply.data?.ports as { privatePort: number; publicPort: number }[];
    expect(ports[0]?.privatePort).toBe(80);
    expect(ports[0]?.publicPort).toBeGreaterThan(0);
    expect(reply.data?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const info = await new Docker({ socketPath: socket }).getContainer(dockerId).inspect();
    expect(info.Config.Labels).toMatchObject({
      "test.run": run,
      [labelKeys.containerId]: containerId,
      [labelKeys.hostId]: "1h1",
    });
    expect(info.Mounts.map((m) => m.Destination).sort()).toEqual(["/anon", "/host", "/named"]);
  });

  test("lists the running container", async () => {
    const listed = await driver.list();
    expect(listed.find((c) => c.containerId === containerId)).toMatchObject({ state: "running", dockerId });
  });

  test("a retried create reuses the container", async () => {
    const reply = await call("instance.create", { spec, start: true });
    expect(reply.data?.dockerId).toBe(dockerId);
  });

  test("a missing image with pullPolicy never is InvalidReference", async () => {
    const reply = await call("instance.create", {
      spec: { ...spec, containerId: `${containerId}x`, name: `${prefix}-x`, image: "corral/absent:1" },
    });
    expect(reply.error?.code).toBe("InvalidReference");
  });

  test("streams logs with stdout and stderr demultiplexed", async () => {
    await Bun.sleep(200);
    const reply = await call("instance.logs", { containerId, dockerId, streamId: "logs1", follow: false });
    expect(reply.data).toEqual({ streamId: "logs1" });
    expect(await ended("logs1")).toMatchObject({ end: true });
    // Docker keeps order within stdout and within stderr, not between them.
    expect(textOf("logs1").split("\n").sort()).toEqual(["", "env-works", "hello-from-logs", "to-stderr"]);
  });

  test("follows logs until the server closes the stream", async () => {
    await call("instance.logs", { containerId, streamId: "logs2", follow: true, lines: 1 });
    await Bun.sleep(300);
    expect(streamOf("logs2").some((f) => f.end)).toBe(false);
    handler.streamInput("logs2", { close: true });
    expect(await ended("logs2")).toMatchObject({ end: true });
  });

  test("exec: output and exit codes", async () => {
    await call("instance.exec", { containerId, dockerId, streamId: "x1", command: ["echo", "hi"] });
    expect(await ended("x1")).toMatchObject({ end: true, exitCode: 0 });
    expect(textOf("x1")).toBe("hi\n");
    await call("instance.exec", {
      containerId,
      streamId: "x2",
      command: ["sh", "-c", "cat /host/marker; exit 3"],
    });
    expect(await ended("x2")).toMatchObject({ end: true, exitCode: 3 });
    expect(textOf("x2")).toBe("from-host\n");
    // stdin attached but never closed: the stream still ends when the process exits.
    await call("instance.exec", {
      containerId,
      streamId: "x4",
      command: ["echo", "no-stdin"],
      attachStdin: true,
    });
    expect(await ended("x4")).toMatchObject({ end: true, exitCode: 0 });
    expect(textOf("x4")).toBe("no-stdin\n");
  });

  test("exec with a terminal is not demultiplexed", async () => {
    await call("instance.exec", {
      containerId,
      streamId: "t1",
      command: ["sh", "-c", "echo tty-out"],
      tty: true,
    });
    expect(await ended("t1")).toMatchObject({ end: true, exitCode: 0 });
    expect(textOf("t1")).toBe("tty-out\r\n");
  });

  test("exec with a terminal takes its size from resize (stty size reads it)", async () => {
    const reply = await call("instance.exec", {
      containerId,
      streamId: "t2",
      command: ["sh"],
      tty: true,
      attachStdin: true,
    });
    expect(reply.ok).toBe(true);
    handler.streamInput("t2", { resize: { cols: 101, rows: 33 } });
    // The size is set in the background, retried while the exec starts: ask until sh reports it.
    for (let i = 0; i < 100 && !textOf("t2").includes("33 101"); i++) {
      handler.streamInput("t2", { data: Buffer.from("stty size\n").toString("base64") });
      await Bun.sleep(100);
    }
    expect(textOf("t2")).toContain("33 101");
    handler.streamInput("t2", { data: Buffer.from("exit\n").toString("base64") });
    expect(await ended("t2")).toMatchObject({ end: true, exitCode: 0 });
  });

  test("exec with stdin", async () => {
    const reply = await call("instance.exec", {
      containerId,
      streamId: "x3",
      command: ["cat"],
      attachStdin: true,
    });
    expect(reply.ok).toBe(true);
    handler.streamInput("x3", { data: Buffer.from("typed into cat\n").toString("base64") });
    await Bun.sleep(100);
    handler.streamInput("x3", { close: true });
    expect(await ended("x3")).toMatchObject({ end: true, exitCode: 0 });
    expect(textOf("x3")).toBe("typed into cat\n");
  });

  test("one-shot stats", async () => {
    const reply = await call("instance.stats", { containerId, dockerId });
    expect(reply.ok).toBe(true);
    expect(reply.data?.memoryUsage as number).toBeGreaterThan(0);
    expect(reply.data?.pids as number).toBeGreaterThanOrEqual(1);
  });

  test("stop, stop again, start, restart", async () => {
    const stopped = await call("instance.stop", { containerId, dockerId, timeoutSec: 1 });
    expect(stopped.data).toMatchObject({ state: "exited" });
    expect((await call("instance.stop", { containerId, timeoutSec: 1 })).ok).toBe(true);
    expect((await call("instance.start", { containerId })).data).toMatchObject({ state: "running" });
    const restarted = await call("instance.restart", { containerId, timeoutSec: 1 });
    expect(restarted.data).toMatchObject({ state: "running" });
  });

  test("a new driver instance finds the container by its label", async () => {
    const fresh = createDockerDriver(socket);
    expect(await fresh.find({ containerId })).toMatchObject({ dockerId, state: "running" });
    expect(await fresh.find({ containerId, dockerId: "0000deadbeef" })).toMatchObject({ dockerId });
    expect(await fresh.find({ containerId: "1i0" })).toBeNull();
  });

  test("relays Docker events for managed containers", async () => {
    for (let i = 0; i < 100 && !frames.some((f) => f.type === "containerEvent" && f.action === "die"); i++) {
      await Bun.sleep(25);
    }
    const events = frames.filter((f) => f.type === "containerEvent" && f.containerId === containerId);
    const actions = events.map((f) => (f.type === "containerEvent" ? f.action : ""));
    expect(actions).toContain("start");
    expect(actions).toContain("die");
    expect(events.find((f) => f.type === "containerEvent" && f.action === "start")).toMatchObject({
      container: { containerId, dockerId },
    });
  });

  test("removes the container and its anonymous volume; removing again succeeds", async () => {
    const docker = new Docker({ socketPath: socket });
    const anon = (await docker.getContainer(dockerId).inspect()).Mounts.find(
      (m) => m.Destination === "/anon",
    )?.Name;
    expect((await call("instance.remove", { containerId, dockerId })).data).toEqual({ removed: true });
    expect((await call("instance.remove", { containerId, dockerId })).data).toEqual({ removed: true });
    expect((await call("instance.inspect", { containerId, dockerId })).error?.code).toBe("NotFound");
    const volumes = (await docker.listVolumes()).Volumes.map((v) => v.Name);
    expect(volumes).not.toContain(anon);
    for (
      let i = 0;
      i < 100 && !frames.some((f) => f.type === "containerEvent" && f.action === "destroy");
      i++
    ) {
      await Bun.sleep(25);
    }
    expect(frames.some((f) => f.type === "containerEvent" && f.action === "destroy" && !f.container)).toBe(
      true,
    );
  });
});
