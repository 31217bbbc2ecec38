import { formatId } from "@corral/api";
import { createLogger, sleep } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import type { ViewMark } from "../network/balancer-views.ts";
import { lbLabel } from "../network/lb-service.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Store } from "../store/store.ts";

const log = createLogger("drain");

/**
 * How running service containers leave before they stop (the server sets `drainMs` from its
 * options; tests shorten them). They keep serving `drainMs` after they left DNS and load balancers,
 * and, once every balancer that could send them requests serves a view without them, at least
 * `afterBalancersMs` more for the requests its old worker still has in flight; balancers that do
 * not confirm within `balancersMaxMs` are not waited for longer.
 */
export const drainTimings = { drainMs: 3000, afterBalancersMs: 1000, balancersMaxMs: 30_000 };

/** A balancer container that may still send requests: it runs, on a host whose agent is connected. */
interface Balancer {
  id: string;
  hostId: string;
}

/** The load balancer containers of a project that run on connected hosts (drains and ACME challenges wait for them). */
export function balancersOf(store: Store, projectId: string, dispatcher: Dispatcher): Balancer[] {
  const out: Balancer[] = [];
  for (const c of store.all<ContainerFields & { serviceId?: string }>("container", { projectId })) {
    const hostId = c.data.hostId;
    if (c.state !== "running" || !hostId || c.data.labels?.[lbLabel] !== "true" || !c.data.serviceId)
      continue;
    if (dispatcher.isConnected(hostId)) out.push({ id: formatId("container", c.id), hostId });
  }
  return out;
}

/** What a drain started with: when, and which views hosts had at that instant. */
export interface DrainStart {
  startedAt: number;
  projectIds: string[];
  mark: ViewMark | null;
}

/**
 * Notes the start of a drain. Call it right after the containers left the view (their state
 * committed) and before awaiting anything: a view sent after this instant is built without them.
 */
export function startDrain(dispatcher: Dispatcher, projectIds: string[]): DrainStart {
  return { startedAt: Date.now(), projectIds, mark: dispatcher.balancers?.mark() ?? null };
}

/**
 * Resolves when containers that started draining at `start` may be stopped: `drainMs` after they
 * left the view, and not before every load balancer of their projects confirmed a view without them
 * (then `afterBalancersMs` more), or `balancersMaxMs` passed. A slow agent, a starved engine or a
 * long reload thus delays the stop instead of letting a balancer send requests to a stopped container.
 */
export async function awaitDrain(store: Store, dispatcher: Dispatcher, start: DrainStart): Promise<void> {
  const { drainMs, afterBalancersMs, balancersMaxMs } = drainTimings;
  let until = start.startedAt + drainMs;
  const views = dispatcher.balancers;
  if (views && start.mark) {
    const mark = start.mark;
    const deadline = start.startedAt + balancersMaxMs;
    let waited = false;
    while (true) {
      const pending = start.projectIds
        .flatMap((p) => balancersOf(store, p, dispatcher))
        .filter((b) => !views.passed(mark, b.hostId, b.id));
      if (pending.length === 0) break;
      waited = true;
      const left = deadline - Date.now();
      if (left <= 0) {
        log.warn("load balancers did not confirm the drain in time; stopping anyway", {
          balancers: pending.map((b) => b.id).join(","),
        });
        break;
      }
      // Reports wake the wait; the bound also catches a host that went away meanwhile.
      await views.next(Math.min(left, 1000));
    }
    if (waited) {
      const after = Date.now() - start.startedAt;
      if (after > drainMs) log.info("drain waited for load balancers", { ms: after });
      until = Math.max(until, Date.now() + afterBalancersMs);
    }
  }
  const left = until - Date.now();
  if (left > 0) await sleep(left);
}
