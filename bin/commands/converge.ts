/**
 * Waiting for a stack's services to converge, as rancher-compose's `up` did: one progress line per
 * service whenever its state, running count or health changes; done when every service is settled;
 * failed when containers keep failing or the time runs out.
 */
import { CommandError, type Io, pause } from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";

/** What "settled" means for this wait. */
export interface ConvergeOptions {
  /** Service states that count as done (default active; after an upgrade, upgraded too). */
  states?: string[];
  /** Only these services (by name) are waited for; default all of the stack. */
  only?: string[];
  /** Give up after this many ms. */
  timeoutMs: number;
  /** Print progress lines (false for a silent wait). */
  progress?: boolean;
  /** Failed containers of one service before giving up on it. */
  maxFailures?: number;
}

/** Health states that count as good. */
const goodHealth = new Set(["healthy", "started-once"]);

/** The one-line status of a service, e.g. `web: 2/3 running, initializing (activating)`. */
export function serviceLine(s: Resource): string {
  const scale = s.global ? "global" : String(s.scale ?? 0);
  const notes = [
    s.state !== "active" ? s.state : "",
    String(s.transitioningMessage ?? ""),
    String(s.schedulingMessage ?? ""),
  ]
    .filter(Boolean)
    .join("; ");
  return `${s.name}: ${s.currentScale ?? 0}/${scale} running, ${s.healthState ?? "unknown"}${notes ? ` (${notes})` : ""}`;
}

/** True when the service needs nothing more: a done state, its scale running, healthy. */
export function isSettled(s: Resource, states: string[]): boolean {
  if (s.state === "inactive") return true;
  if (!states.includes(s.state)) return false;
  if (s.kind !== undefined && s.kind !== "service" && s.kind !== "loadBalancerService") return true;
  const scaled = s.global
    ? Number(s.currentScale ?? 0) > 0
    : Number(s.currentScale ?? 0) === Number(s.scale ?? 0);
  const healthy = goodHealth.has(String(s.healthState)) || (Number(s.scale ?? 0) === 0 && !s.global);
  return scaled && healthy;
}

/** Why a service is failing for good, or null while it may still converge. */
function failure(s: Resource, failed: Set<string> | undefined, maxFailures: number): string | null {
  if (s.transitioning === "error" || s.state === "error")
    return String(s.transitioningMessage || s.schedulingMessage || `service is ${s.state}`);
  // An upgrade whose new containers never became healthy pauses with this message.
  if (s.state === "upgrading" && /roll back or finish/.test(String(s.transitioningMessage ?? "")))
    return `${s.transitioningMessage}: 'corral up --rollback' or 'corral up --confirm-upgrade'`;
  if (failed && failed.size >= maxFailures)
    return `containers keep failing (${failed.size} failed)${s.schedulingMessage ? `; ${s.schedulingMessage}` : ""}`;
  return null;
}

/**
 * Polls the stack's services until all are settled. Prints a line per change; throws a
 * CommandError naming the service when its containers keep failing, or when time runs out.
 */
export async function waitForStack(io: Io, client: ProjectClient, stack: Resource, opts: ConvergeOptions) {
  const states = opts.states ?? ["active"];
  const maxFailures = opts.maxFailures ?? 3;
  const deadline = Date.now() + opts.timeoutMs;
  const lastLine = new Map<string, string>();
  const failedContainers = new Map<string, Set<string>>();
  const messages = new Map<string, string>();
  for (;;) {
    const services = (await client.services(stack.id)).filter(
      (s) => !opts.only || opts.only.includes(s.name ?? ""),
    );
    const pending = services.filter((s) => !isSettled(s, states));
    if (pending.length > 0) {
      const containers = await client.list("containers", { stackId: stack.id, state: "error" });
      for (const c of containers) {
        const sid = String(c.serviceId ?? "");
        const set = failedContainers.get(sid) ?? new Set<string>();
        set.add(c.id);
        failedContainers.set(sid, set);
        if (c.transitioningMessage) messages.set(sid, String(c.transitioningMessage));
      }
    }
    for (const s of services) {
      const line = serviceLine(s);
      if (opts.progress !== false && lastLine.get(s.id) !== line) io.out(`${line}\n`);
      lastLine.set(s.id, line);
      const why = isSettled(s, states) ? null : failure(s, failedContainers.get(s.id), maxFailures);
      if (why) {
        const last = messages.get(s.id);
        throw new CommandError(`${s.name}: ${why}${last && !why.includes(last) ? `: ${last}` : ""}`);
      }
    }
    if (pending.length === 0) return services;
    if (io.signal?.aborted) throw new CommandError("interrupted; the server keeps converging the stack");
    if (Date.now() >= deadline) {
      const detail = pending.map((s) => `  ${serviceLine(s)}`).join("\n");
      throw new CommandError(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${stack.name}:\n${detail}`,
      );
    }
    await pause(Math.min(io.pollMs ?? 1000, Math.max(1, deadline - Date.now())), io.signal);
  }
}
