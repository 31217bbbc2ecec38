import type { AgentFrame } from "@corral/api";
import { Backoff, type Logger, sleep } from "@corral/lib";
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
 * Follows Docker's event stream for the agent's whole life and relays events about managed
 * containers through `send` (a no-op while disconnected: the hello after reconnecting carries the
 * full container list). A broken stream is reopened with backoff. `observe` sees every event of a
 * managed container first (the health monitor follows the same stream instead of opening its own),
 * and `onFollow` runs each time the stream is (re)opened, since events may have been missed.
 */
export async function relayContainerEvents(options: {
  driver: DockerDriver;
  send: (frame: AgentFrame) => void;
  logger: Logger;
  signal: AbortSignal;
  observe?: (event: EngineEvent) => void;
  onFollow?: () => void;
}): Promise<void> {
  const { driver, send, logger, signal, observe, onFollow } = options;
  const backoff = new Backoff(250, 5_000);
  // Events are inspected concurrently but sent in Docker's order, so start never overtakes die.
  let chain = Promise.resolve();
  const onEvent = (event: EngineEvent) => {
    observe?.(event);
    if (!isRelayedAction(event.action)) return;
    const framed = toContainerEvent(driver, event);
    chain = chain.then(async () => send(await framed)).catch(() => undefined);
  };
  while (!signal.aborted) {
    const started = Date.now();
    try {
      onFollow?.();
      await driver.events(onEvent, signal);
    } catch (e) {
      logger.warn("docker event stream failed", { error: e });
    }
    if (signal.aborted) break;
    // A stream that lived a while was healthy: start the backoff over.
    if (Date.now() - started > 30_000) backoff.reset();
    await sleep(backoff.next(), signal);
  }
}
