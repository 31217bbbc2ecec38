import {
  type Clock,
  type Controller,
  type ControllerHandle,
  createLogger,
  HostStatus,
  type Logger,
  startController,
} from "@corral/lib";
import { DockerEvents } from "../src/docker-events.ts";
import type { DockerDriver } from "../src/driver.ts";
import { HostStateBus } from "../src/host-state-bus.ts";

/** A host for controller tests: a bus, the Docker event fan-out over `driver`, a status record. */
export interface TestHost {
  bus: HostStateBus;
  events: DockerEvents;
  driver: DockerDriver;
  logger: Logger;
  status: HostStatus;
  /** Runs a controller on this host until `stop`. */
  run(controller: Controller): ControllerHandle;
  /** Stops the controllers and the event stream, and waits until they all ended. */
  stop(): Promise<void>;
}

/**
 * Builds a TestHost and starts following `driver`'s events, as the agent does: a controller under
 * test gets its inputs the way it does in production, and tests poll its outputs. With `clock`,
 * the runners' timers (intervals, retries) run on it.
 */
export function testHost(driver: DockerDriver, options: { clock?: Clock } = {}): TestHost {
  const abort = new AbortController();
  const logger = createLogger("test");
  const events = new DockerEvents({ driver, logger });
  const status = new HostStatus();
  const handles: ControllerHandle[] = [];
  const following = events.run(abort.signal);
  return {
    bus: new HostStateBus(logger),
    events,
    driver,
    logger,
    status,
    run(controller) {
      const handle = startController(controller, {
        logger,
        signal: abort.signal,
        status,
        ...(options.clock && { clock: options.clock, random: () => 1 }),
      });
      handles.push(handle);
      return handle;
    },
    async stop() {
      abort.abort();
      await Promise.all([following, ...handles.map((h) => h.stopped)]);
    },
  };
}

/** Polls `check` every few milliseconds until it holds or `ms` pass (then throws with `what`). */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}
