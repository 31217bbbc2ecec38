/**
 * A placement request compiled once into rules with their failure texts, and the per-host checks:
 * the first failing hard rule (in the order reasons report it) and the soft-rule score.
 */
import { AppError } from "@corral/lib";
import { type AffinityRule, ANY_IP, pairKey, parseAffinityLabels } from "./affinity.ts";
import { type HostView, labelKeysOf, portKey } from "./host-state.ts";
import { formatMiB } from "./reasons.ts";
import type { PlacementRequest, PortProtocol } from "./types.ts";

/** An affinity rule with its failure text prepared up front, so checks allocate nothing. */
export interface CompiledRule extends AffinityRule {
  failText: string;
}

/** A port of the request: its index key, requested IP (null = any) and failure text. */
export interface PlanPort {
  key: string;
  ip: string | null;
  publicPort: number;
  protocol: PortProtocol;
  failText: string;
}

/** A request compiled for checking against many hosts. */
export interface Plan {
  hard: CompiledRule[];
  soft: CompiledRule[];
  /** Lowercased `key\0value` and `key` of the request's labels, for hosts' `require_any`. */
  labelKeys: Set<string>;
  fixedPorts: PlanPort[];
  anyPorts: PlanPort[];
  memory: number;
  milliCpu: number;
}

const KIND_TEXT = { host_label: "host label", container_label: "container label", container: "container" };

/**
 * Compile a request. With `requestedHostId` set, affinity rules are left out: Cattle skips its
 * non-critical (affinity) constraint providers when a host is requested; ports, resources and
 * `require_any` still apply.
 */
export function compilePlan(req: PlacementRequest): Plan {
  const rules = req.requestedHostId ? [] : parseAffinityLabels(req.labels);
  const compiled = rules.map((r) => ({
    ...r,
    failText: `${KIND_TEXT[r.kind]} ${r.label} ${r.term} ${r.negate ? "matched" : "not matched"}`,
  }));
  const fixedPorts: PlanPort[] = [];
  const anyPorts: PlanPort[] = [];
  for (const p of req.ports) {
    if (!Number.isInteger(p.publicPort) || p.publicPort < 0 || p.publicPort > 65535) {
      throw new AppError("InvalidFormat", `public port ${p.publicPort} is not a port number`);
    }
    if (p.protocol !== "tcp" && p.protocol !== "udp") {
      throw new AppError("InvalidFormat", `port protocol ${String(p.protocol)} is not tcp or udp`);
    }
    if (p.publicPort === 0) continue; // random: picked on the host, never conflicts
    const ip = p.ip || null;
    const where = ip && ip !== ANY_IP ? `${ip}:` : "";
    const port = {
      key: portKey(p.protocol, p.publicPort),
      ip,
      publicPort: p.publicPort,
      protocol: p.protocol,
    };
    (ip ? fixedPorts : anyPorts).push({
      ...port,
      failText: `port ${where}${p.publicPort}/${p.protocol} taken`,
    });
  }
  return {
    hard: compiled.filter((r) => r.hard),
    soft: compiled.filter((r) => !r.hard),
    labelKeys: new Set(labelKeysOf(req.labels)),
    fixedPorts,
    anyPorts,
    memory: req.memoryReservation ?? 0,
    milliCpu: req.milliCpuReservation ?? 0,
  };
}

/** Whether a rule holds on a host (already accounting for `_ne`). */
export function ruleHolds(view: HostView, rule: AffinityRule): boolean {
  let found: boolean;
  if (rule.kind === "host_label") found = view.state.hostLabels.has(rule.match);
  else if (rule.kind === "container_label") found = view.labelCount(rule.match) > 0;
  else found = view.nameCount(rule.match) > 0;
  return found !== rule.negate;
}

/** Number of soft rules a host satisfies: more wins (see `Scheduler.place` on why that equals Rancher). */
export function softScore(view: HostView, plan: Plan): number {
  let score = 0;
  for (const rule of plan.soft) if (ruleHolds(view, rule)) score++;
  return score;
}

/**
 * The IP the request's IP-less ports go to, or null when none fits. As in rancher/scheduler, all of
 * them land on one IP: the first declared host IP where they are all free, or 0.0.0.0 when the host
 * declares no IPs.
 */
export function chooseIp(view: HostView, plan: Plan): string | null {
  const s = view.state;
  const candidates = s.specificIps.length > 0 ? s.specificIps : [ANY_IP];
  // Plain loops: this runs for every host a request with ports is checked against.
  outer: for (const ip of candidates) {
    for (const p of plan.anyPorts) if (view.portTaken(p.key, ip)) continue outer;
    return ip;
  }
  return null;
}

/** The first hard rule the host fails, in plain words, or null when it takes the request. */
export function hardFailure(view: HostView, plan: Plan): string | null {
  const s = view.state;
  if (!s.eligible) return s.host.state !== "active" ? s.host.state : "agent disconnected";
  if (
    s.requireAny &&
    !s.requireAny.some((t) => plan.labelKeys.has(t.value === null ? t.key : pairKey(t.key, t.value)))
  ) {
    return `require_any: needs one of ${s.requireAnyText}`;
  }
  for (const rule of plan.hard) if (!ruleHolds(view, rule)) return rule.failText;
  // Most hosts bind no public port at all: skip the per-port lookups for them.
  const bound = s.ports.size > 0;
  for (const p of plan.fixedPorts) {
    if (!s.ipSet.has(p.ip!)) return `ip ${p.ip} not on host`;
    if (bound && view.portTaken(p.key, p.ip!)) return p.failText;
  }
  if (bound && plan.anyPorts.length > 0 && chooseIp(view, plan) === null) {
    const ip = s.specificIps[0] ?? ANY_IP;
    return (plan.anyPorts.find((p) => view.portTaken(p.key, ip)) ?? plan.anyPorts[0]!).failText;
  }
  return resourceFailure(view, plan);
}

function resourceFailure(view: HostView, plan: Plan): string | null {
  const s = view.state;
  const { memoryTotal, milliCpuTotal } = s.host;
  if (plan.memory > 0 && memoryTotal > 0 && view.memoryUsed() + plan.memory > memoryTotal) {
    const free = Math.max(0, memoryTotal - view.memoryUsed());
    return `not enough memory: ${formatMiB(plan.memory)} requested, ${formatMiB(free)} free`;
  }
  if (plan.milliCpu > 0 && milliCpuTotal > 0 && view.milliCpuUsed() + plan.milliCpu > milliCpuTotal) {
    const free = Math.max(0, milliCpuTotal - view.milliCpuUsed());
    return `not enough CPU: ${plan.milliCpu} milli-CPU requested, ${free} free`;
  }
  return null;
}
