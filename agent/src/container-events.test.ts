import { expect, test } from "bun:test";
import type { AgentFrame } from "@corral/api";
import { createLogger } from "@corral/lib";
import { FakeDriver } from "../testing/fake-driver.ts";
import { relayContainerEvents } from "./container-events.ts";

test("a broken Docker event stream is reopened and events keep flowing", async () => {
  const driver = new FakeDriver();
  let opened = 0;
  const follow = driver.events.bind(driver);
  // The first two streams break at once, as when dockerd restarts.
  driver.events = async (onEvent, signal) => {
    opened++;
    if (opened <= 2) throw new Error("connection reset");
    return follow(onEvent, signal);
  };
  const frames: AgentFrame[] = [];
  const stop = new AbortController();
  const done = relayContainerEvents({
    driver,
    send: (f) => frames.push(f),
    logger: createLogger("test"),
    signal: stop.signal,
  });
  while (driver.listeners.size === 0) await Bun.sleep(10);
  expect(opened).toBe(3);
  driver.emit({ action: "exec_start: sh", containerId: "1i1", dockerId: "d1" });
  driver.emit({ action: "destroy", containerId: "1i1", dockerId: "d1" });
  await Bun.sleep(10);
  expect(frames).toEqual([{ type: "containerEvent", action: "destroy", containerId: "1i1" }]);
  stop.abort();
  await done;
});
