import type { Clock, Controller } from "@corral/lib";
import type { HostContext } from "../host-context.ts";
import { HealthMonitor } from "./health-monitor.ts";
import type { Probe } from "./probe.ts";

/** Options of the health controller. */
export interface HealthControllerOptions {
  /** A probe to use instead of real sockets (tests). */
  probe?: Probe;
  /** A clock to use instead of the real one (tests). */
  clock?: Clock;
}

/** The health controller, with the monitor the session talks to. */
export interface HealthHostController extends Controller {
  /** Re-sends states for a new session and looks at containers instance.create made. */
  readonly monitor: HealthMonitor;
}

/**
 * The health controller: runs the health checks of managed containers (see HealthMonitor). Docker
 * events start and end checks one container at a time as they come; a reconcile lists every
 * labelled container and makes the checks match, at start, whenever the event stream is (re)opened
 * (events may have been missed), and when the agent kicks it after a reconnect. A list Docker
 * cannot give fails the reconcile, so it is retried with backoff.
 */
export function createHealthController(
  host: Pick<HostContext, "events" | "driver" | "logger" | "send">,
  options: HealthControllerOptions = {},
): HealthHostController {
  const monitor = new HealthMonitor({
    driver: host.driver,
    send: host.send,
    logger: host.logger.child("health"),
    ...(options.probe && { probe: options.probe }),
    ...(options.clock && { clock: options.clock }),
  });
  return {
    name: "health",
    inputs: [
      { name: "docker events", watch: () => host.events.subscribe((event) => monitor.onEngineEvent(event)) },
      { name: "docker event stream (re)opened", watch: (kick) => host.events.onOpen(kick) },
    ],
    async reconcile() {
      await monitor.sync();
      const count = monitor.checking.length;
      return { message: `checking ${count} container${count === 1 ? "" : "s"}` };
    },
    close: () => monitor.close(),
    monitor,
  };
}
