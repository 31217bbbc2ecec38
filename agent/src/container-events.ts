import type { AgentFrame } from "@corral/api";
import type { DockerEvents } from "./docker-events.ts";
import type { DockerDriver, EngineEvent } from "./driver.ts";

/** Docker actions the server cares about; "health_status: healthy" and the like match by prefix. */
const relayed = ["start", "die", "stop", "destroy", "oom", "health_status"];

/** True when a Docker action is one the agent relays. */
export function isRelayedAction(action: string): boolean {
  return relayed.some((name) => action === name || action.startsWith(`${name}:`));
}

/** Turns an engine event into a containerEvent frame, with the container's observation when it still exists. */
export async function toContainerEvent(driver: DockerDriver, event: EngineEvent): Promise<AgentFrame> {
  const frame: AgentFrame = {
    type: "containerEvent",
    action: event.action.slice(0, 64),
    containerId: event.containerId,
  };
  if (event.action === "destroy") return frame;
  const container = await driver.inspect(event.dockerId).catch(() => undefined);
  return container ? { ...frame, container } : frame;
}

/**
 * Relays Docker events about managed containers to the server through `send` (a no-op while
 * disconnected: the hello after reconnecting carries the full container list). Each frame carries
 * the container's observation, inspected concurrently, yet frames go out in Docker's order, so a
 * start never overtakes the die before it. Returns the function that stops relaying.
 */
export function relayContainerEvents(options: {
  driver: DockerDriver;
  events: DockerEvents;
  send: (frame: AgentFrame) => void;
}): () => void {
  const { driver, events, send } = options;
  let chain = Promise.resolve();
  return events.subscribe((event) => {
    if (!isRelayedAction(event.action)) return;
    const framed = toContainerEvent(driver, event);
    chain = chain.then(async () => send(await framed)).catch(() => undefined);
  });
}
