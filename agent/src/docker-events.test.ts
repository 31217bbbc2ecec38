import { expect, test } from "bun:test";
import type { AgentFrame } from "@corral/api";
import { createLogger } from "@corral/lib";
import { FakeDriver } from "../testing/fake-driver.ts";
import { relayContainerEvents } from "./container-events.ts";
import { DockerEvents } from "./docker-events.ts";
import type { EngineEvent } from "./driver.ts";

const logger = createLogger("test");

/** Polls until `check` holds; the test's own timeout is the deadline. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await Bun.sleep(5);
}

test("one stream feeds every subscriber; a broken stream is reopened and each opening is announced", async () => {
  const driver = new FakeDriver();
  let opened = 0;
  const follow = driver.events.bind(driver);
  // The first two streams break at once, as when dockerd restarts.
  driver.events = async (onEvent, signal) => {
    opened++;
    if (opened <= 2) throw new Error("connection reset");
    return follow(onEvent, signal);
  };
  const events = new DockerEvents({ driver, logger, retry: { baseMs: 10, maxMs: 20 } });
  const seenA: string[] = [];
  const seenB: string[] = [];
  let openings = 0;
  events.onOpen(() => openings++);
  events.subscribe((e) => seenA.push(e.action));
  const stopB = events.subscribe((e) => seenB.push(e.action));
  // A subscriber that throws costs the others nothing.
  events.subscribe(() => {
    throw new Error("listener bug");
  });
  const stop = new AbortController();
  const done = events.run(stop.signal);
  await until(() => driver.listeners.size === 1);
  expect(opened).toBe(3);
  expect(openings).toBe(3);
  driver.emit({ action: "start", containerId: "1i1", dockerId: "d1" });
  stopB();
  driver.emit({ action: "die", containerId: "1i1", dockerId: "d1" });
  expect(seenA).toEqual(["start", "die"]);
  expect(seenB).toEqual(["start"]);
  stop.abort();
  await done;
  expect(driver.listeners.size).toBe(0);
});

test("the relay sends the events the server cares about, in Docker's order, with observations", async () => {
  const driver = new FakeDriver();
  const { dockerId } = await driver.create(
    {
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
    "1h1",
  );
  // The first inspect answers last: its frame must still go out first.
  const inspect = driver.inspect.bind(driver);
  let calls = 0;
  driver.inspect = async (id) => {
    const answer = await inspect(id);
    if (++calls === 1) await Bun.sleep(30);
    return answer;
  };
  const events = new DockerEvents({ driver, logger });
  const frames: AgentFrame[] = [];
  const stopRelay = relayContainerEvents({ driver, events, send: (f) => frames.push(f) });
  const stop = new AbortController();
  const done = events.run(stop.signal);
  await until(() => driver.listeners.size === 1);
  const emit = (action: string) =>
    driver.emit({ action, containerId: "1i1", dockerId } satisfies EngineEvent);
  emit("start");
  emit("exec_start: sh");
  emit("health_status: healthy");
  emit("destroy");
  await until(() => frames.length === 3);
  expect(frames.map((f) => (f.type === "containerEvent" ? f.action : f.type))).toEqual([
    "start",
    "health_status: healthy",
    "destroy",
  ]);
  expect(frames[0]).toMatchObject({ container: { containerId: "1i1", dockerId } });
  expect(frames[2]).toEqual({ type: "containerEvent", action: "destroy", containerId: "1i1" });
  // A stopped relay sends nothing more; a relay started after it (subscribed later, so served
  // later) sees the next event, so by then the stopped one would have sent it too.
  stopRelay();
  const later: AgentFrame[] = [];
  relayContainerEvents({ driver, events, send: (f) => later.push(f) });
  emit("die");
  await until(() => later.length === 1);
  expect(frames).toHaveLength(3);
  stop.abort();
  await done;
});
