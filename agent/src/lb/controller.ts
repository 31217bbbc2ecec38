import type { HostState, StateContainer } from "@corral/api";
import type { Controller } from "@corral/lib";
import { dockerEventsInput, hostStateInput, waitingForHostState } from "../controller-inputs.ts";
import type { HostContext } from "../host-context.ts";
import { configRoot, type InstallOptions, installConfig } from "./install.ts";
import { renderVersioned } from "./render.ts";

/** The label the server puts on load balancer containers. */
export const lbLabel = "io.corral.lb";

/** Options of the load balancer controller. */
export interface LoadBalancerControllerOptions extends InstallOptions {
  /** Delay before retrying after a failure that was not HAProxy refusing the config (default 1 s, growing to 30 s). */
  retryBaseMs?: number;
}

/** What the controller knows of one LB container on this host. */
export interface LoadBalancerStatus {
  /** Corral container id. */
  containerId: string;
  serviceId: string;
  dockerId: string | null;
  /** Id of the config HAProxy serves (confirmed after the reload); null before the first one. */
  configId: string | null;
  /** When that config was installed (ISO time). */
  appliedAt: string | null;
  /** The last failure: HAProxy's message for a refused config, else what went wrong; null when fine. */
  error: string | null;
  /** What the renderer had to leave out of the current lbConfig. */
  warnings: string[];
  /**
   * Version of the newest host view this container was brought in line with (its config installed,
   * found unchanged, or refused), or null before the first. The server's drain waits for it to pass
   * the view in which containers left, so it stops them only once no balancer sends them requests.
   */
  viewVersion: number | null;
}

/** The load balancer controller, with the per-container report pings carry. */
export interface LoadBalancerController extends Controller {
  /** One entry per LB container of this host. */
  report(): LoadBalancerStatus[];
}

interface Entry extends LoadBalancerStatus {
  startedAt: string | null;
  /** A config HAProxy refused: not tried again until the view changes. */
  refusedId: string | null;
}

/** The LB containers of this host in a view. */
function lbContainers(state: HostState): StateContainer[] {
  return state.containers.filter(
    (c) => c.hostId === state.hostId && c.labels[lbLabel] === "true" && c.serviceId,
  );
}

/**
 * Keeps every load balancer container on this host serving the config its service's lbConfig
 * describes. For each LB container it renders the whole haproxy.cfg from the latest host view;
 * when that differs from what the container serves it installs it (validate, swap, reload; see
 * installConfig). A refused config is logged with HAProxy's message and kept in `report()` (the
 * controller is then degraded); the running one stays, and the same config is not tried again. A
 * config that could not be installed for another reason fails the reconcile, so it is retried with
 * backoff. A container that restarts (Docker `start` event) gets its config again.
 */
export function createLoadBalancerController(
  host: Pick<HostContext, "bus" | "events" | "driver" | "logger">,
  options: LoadBalancerControllerOptions = {},
): LoadBalancerController {
  const { bus, driver } = host;
  const logger = host.logger.child("lb");
  const entries = new Map<string, Entry>();

  const applyOne = async (state: HostState, container: StateContainer): Promise<boolean> => {
    const lb = state.services.find((s) => s.id === container.serviceId && s.kind === "loadBalancerService");
    if (!lb) return true;
    const entry: Entry = entries.get(container.id) ?? {
      containerId: container.id,
      serviceId: lb.id,
      dockerId: null,
      configId: null,
      appliedAt: null,
      error: null,
      warnings: [],
      viewVersion: null,
      startedAt: null,
      refusedId: null,
    };
    entries.set(container.id, entry);
    // Every way out but a failure worth retrying leaves the container in line with this view.
    const settled = () => {
      entry.viewVersion = state.version;
      return true;
    };
    const seen = await driver.find({ containerId: container.id });
    // A container that does not run sends no request anywhere.
    if (seen?.state !== "running") return settled();
    if (seen.dockerId !== entry.dockerId || (seen.startedAt ?? null) !== entry.startedAt) {
      // A new or restarted container runs whatever its entry found on disk: install again.
      entry.dockerId = seen.dockerId;
      entry.startedAt = seen.startedAt ?? null;
      entry.configId = null;
      entry.refusedId = null;
    }
    const rendered = renderVersioned({ lb, state }, configRoot);
    if (rendered.id === entry.refusedId) return settled();
    if (rendered.id === entry.configId) {
      // The view went back to what HAProxy serves (e.g. a bad custom config was undone).
      entry.error = null;
      entry.warnings = rendered.warnings;
      return settled();
    }
    const result = await installConfig(driver, seen.dockerId, rendered, options);
    entry.warnings = rendered.warnings;
    if (result.ok) {
      Object.assign(entry, {
        configId: rendered.id,
        appliedAt: new Date().toISOString(),
        error: null,
        refusedId: null,
      });
      logger.info("load balancer config applied", {
        container: container.name,
        config: rendered.id,
        ...(rendered.warnings.length > 0 && { warnings: rendered.warnings }),
      });
      return settled();
    }
    entry.error = result.message;
    if (result.refused) {
      entry.refusedId = rendered.id;
      logger.error("load balancer config refused; the running config stays", {
        container: container.name,
        message: result.message,
      });
      // Nothing more will come of this view: a drain waiting for it would only wait longer.
      return settled();
    }
    logger.warn("load balancer config not applied; retrying", {
      container: container.name,
      error: result.message,
    });
    return false;
  };

  return {
    name: "lb",
    inputs: [
      hostStateInput(bus),
      // A restarted LB container serves whatever its files hold, and the server's view may not change for it.
      dockerEventsInput(host.events, (event) => event.action === "start" && entries.has(event.containerId)),
    ],
    retry: { baseMs: options.retryBaseMs ?? 1_000, maxMs: 30_000 },
    async reconcile(signal) {
      const state = bus.current;
      if (!state) return waitingForHostState;
      const wanted = lbContainers(state);
      for (const id of entries.keys()) if (!wanted.some((c) => c.id === id)) entries.delete(id);
      let unsettled = 0;
      for (const container of wanted) {
        if (signal.aborted) return undefined;
        try {
          if (!(await applyOne(state, container))) unsettled++;
        } catch (e) {
          // Stopping may cut an install short (the agent is shutting down): nothing to report.
          if (signal.aborted) return undefined;
          unsettled++;
          const entry = entries.get(container.id);
          if (entry) entry.error = e instanceof Error ? e.message : String(e);
          logger.warn("load balancer config not applied; retrying", { container: container.name, error: e });
        }
      }
      if (unsettled > 0)
        throw new Error(`${unsettled} of ${wanted.length} load balancer configs not applied`);
      // Every install that failed otherwise threw above: an error left is HAProxy's refusal.
      const refused = [...entries.values()].filter((e) => e.error !== null).length;
      const count = `${entries.size} load balancer${entries.size === 1 ? "" : "s"}`;
      if (refused > 0) return { state: "degraded", message: `${count}, ${refused} refused by HAProxy` };
      return { message: count };
    },
    report() {
      return [...entries.values()].map(({ startedAt: _s, refusedId: _r, ...status }) => ({
        ...status,
        warnings: [...status.warnings],
      }));
    },
  };
}
