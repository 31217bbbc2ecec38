/**
 * The Scheduler: an in-memory, incrementally maintained picture of hosts and the instances on them,
 * and `place()` which picks a host for a deployment unit and reserves it there. No I/O: the
 * orchestrator feeds it hosts and instances from the store and keeps it in sync.
 */
import { AppError } from "@corral/lib";
import { ANY_IP } from "./affinity.ts";
import { DiscountedView, HostState, type InstanceRecord, toRecord } from "./host-state.ts";
import { chooseIp, compilePlan, hardFailure, type Plan, softScore } from "./rules.ts";
import type { PlacementRequest, PlacementResult, PortBinding, SchedHost, SchedInstance } from "./types.ts";

/** What a host currently has reserved. */
export interface HostUsage {
  instances: number;
  memory: number;
  milliCpu: number;
}

/** Places deployment units on hosts with Rancher 1.6's rules; see {@link Scheduler.place}. */
export class Scheduler {
  private readonly hosts = new Map<string, HostState>();
  // Kept sorted by id: iteration order is the stable tie-break.
  private hostList: HostState[] = [];
  private readonly instances = new Map<string, InstanceRecord>();
  // Host label -> hosts carrying it (sorted by id), so a hard host_label rule narrows the scan.
  // Built lazily; dropped when the set of hosts or their labels change.
  private labelIndex: Map<string, HostState[]> | null = null;
  private seq = 0;

  /** Start from the hosts and the instances currently placed on them. */
  constructor(hosts: SchedHost[] = [], instances: SchedInstance[] = []) {
    for (const h of hosts) this.upsertHost(h);
    for (const i of instances) this.addInstance(i);
  }

  /** Add a host, or update an existing host's labels, state, IPs and totals (its instances stay). */
  upsertHost(host: SchedHost): void {
    const existing = this.hosts.get(host.id);
    if (existing) {
      if (existing.update(host)) this.labelIndex = null;
      return;
    }
    this.labelIndex = null;
    const hs = new HostState(host);
    this.hosts.set(host.id, hs);
    this.hostList.push(hs);
    this.hostList.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // Instances may arrive before their host (the orchestrator loads both from the store).
    for (const rec of this.instances.values()) if (rec.hostId === host.id) hs.add(rec);
  }

  /** Forget a host and the instances on it. Returns whether the host was known. */
  removeHost(hostId: string): boolean {
    const hs = this.hosts.get(hostId);
    if (!hs) return false;
    for (const id of hs.instances.keys()) this.instances.delete(id);
    this.hosts.delete(hostId);
    this.labelIndex = null;
    this.hostList = this.hostList.filter((h) => h !== hs);
    return true;
  }

  /** Record an instance on its host (replacing an earlier record with the same id). */
  addInstance(inst: SchedInstance): void {
    this.addRecord(toRecord(inst));
  }

  /**
   * Record an instance indexed already by {@link toRecord}: a caller that reloads the same
   * instances often keeps their records and saves indexing them again (records are never changed).
   */
  addRecord(rec: InstanceRecord): void {
    this.release(rec.id);
    this.instances.set(rec.id, rec);
    this.hosts.get(rec.hostId)?.add(rec);
  }

  /** Free what an instance (or a placed request) holds: ports, reservations, labels, name. */
  release(instanceId: string): boolean {
    const rec = this.instances.get(instanceId);
    if (!rec) return false;
    this.instances.delete(instanceId);
    this.hosts.get(rec.hostId)?.remove(rec);
    return true;
  }

  /** The record held for an instance id, if any. */
  record(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  /** Ids of every recorded instance and placement (a copy: safe to release while iterating). */
  instanceIds(): string[] {
    return [...this.instances.keys()];
  }

  /** Ids of every known host. */
  hostIds(): string[] {
    return [...this.hosts.keys()];
  }

  /** The host an instance is recorded on. */
  hostOf(instanceId: string): string | undefined {
    return this.instances.get(instanceId)?.hostId;
  }

  /** What a host has reserved, or undefined for an unknown host. */
  usage(hostId: string): HostUsage | undefined {
    const hs = this.hosts.get(hostId);
    return hs && { instances: hs.instanceCount, memory: hs.memory, milliCpu: hs.milliCpu };
  }

  /**
   * Pick a host for the request and reserve it there, so the next call sees its ports, resources,
   * labels and name. Hard rules filter; among the hosts left the winner satisfies the most soft
   * rules, then has the fewest units of the same service, then the fewest instances, then the
   * lowest id.
   *
   * Why a score equals Rancher: Cattle retries, each time dropping one soft rule failed by the
   * host that fails fewest, until some host passes everything left. Each drop lowers that minimum
   * by exactly one, so the hosts that finally pass are among those failing the fewest soft rules
   * to begin with, that is, those with the highest score here.
   */
  place(req: PlacementRequest): PlacementResult {
    if (req.id !== undefined && this.instances.has(req.id)) {
      throw new AppError("NotUnique", `instance ${req.id} is already placed; release it first`);
    }
    const plan = compilePlan(req);
    const scope = this.scope(req);
    const candidates = this.narrow(scope, plan);
    const ref = req.serviceRef;
    const needed = req.addresses ?? 0;
    let best: HostState | null = null;
    let bestScore = -1;
    let bestSvc = 0;
    let bestCount = 0;
    for (const hs of candidates) {
      if (!hs.eligible || hardFailure(hs, plan) !== null || hs.addressFailure(needed) !== null) continue;
      const score = plan.soft.length > 0 ? softScore(hs, plan) : 0;
      const svc = ref ? (hs.services.get(ref) ?? 0) : 0;
      const count = hs.instanceCount;
      // Strict comparisons: on a full tie the earlier host (lower id) stays.
      if (
        best === null ||
        score > bestScore ||
        (score === bestScore && (svc < bestSvc || (svc === bestSvc && count < bestCount)))
      ) {
        best = hs;
        bestScore = score;
        bestSvc = svc;
        bestCount = count;
      }
    }
    if (!best) return { hostId: null, reasons: this.explain(req, plan, scope) };
    return this.reserve(best, plan, req);
  }

  /**
   * Hosts (ids) passing every hard rule of the request, for a global service's one-unit-per-host.
   * The service's own instances are left out of the checks, so a host already running its unit
   * (holding its ports, matching its anti-affinity) stays eligible. `requestedHostId` is ignored.
   */
  eligibleHosts(req: PlacementRequest): string[] {
    const plan = compilePlan({ ...req, requestedHostId: undefined });
    const ref = req.serviceRef;
    const ids: string[] = [];
    for (const hs of this.hostList) {
      if (!hs.eligible) continue;
      const own =
        ref && hs.services.has(ref) ? [...hs.instances.values()].filter((r) => r.serviceRef === ref) : [];
      const view = own.length > 0 ? new DiscountedView(hs, own) : hs;
      if (hardFailure(view, plan) === null) ids.push(hs.id);
    }
    return ids;
  }

  /** The hosts a request may go to (and that reasons are given for). */
  private scope(req: PlacementRequest): HostState[] {
    if (!req.requestedHostId) return this.hostList;
    const hs = this.hosts.get(req.requestedHostId);
    return hs ? [hs] : [];
  }

  /** Only hosts carrying every positive hard host label can pass: scan the shortest such list. */
  private narrow(scope: HostState[], plan: Plan): HostState[] {
    if (scope !== this.hostList) return scope;
    let best = scope;
    for (const rule of plan.hard) {
      if (rule.kind !== "host_label" || rule.negate) continue;
      const list = this.withLabel(rule.match);
      if (list.length < best.length) best = list;
    }
    return best;
  }

  private withLabel(match: string): HostState[] {
    if (!this.labelIndex) {
      this.labelIndex = new Map();
      for (const hs of this.hostList) {
        for (const k of hs.hostLabels) {
          const list = this.labelIndex.get(k);
          if (list) list.push(hs);
          else this.labelIndex.set(k, [hs]);
        }
      }
    }
    return this.labelIndex.get(match) ?? [];
  }

  private explain(req: PlacementRequest, plan: Plan, scope: HostState[]): Record<string, string> {
    const reasons: Record<string, string> = {};
    if (req.requestedHostId && scope.length === 0) {
      reasons[req.requestedHostId] = "requested host not found";
    }
    for (const hs of scope) {
      const name = reasons[hs.host.name] === undefined ? hs.host.name : `${hs.host.name} (${hs.id})`;
      reasons[name] = hardFailure(hs, plan) ?? hs.addressFailure(req.addresses ?? 0) ?? "not chosen";
    }
    return reasons;
  }

  private reserve(hs: HostState, plan: Plan, req: PlacementRequest): PlacementResult {
    const ip = plan.anyPorts.length > 0 ? (chooseIp(hs, plan) ?? ANY_IP) : ANY_IP;
    const bindings: PortBinding[] = [
      ...plan.fixedPorts.map((p) => ({ ip: p.ip!, publicPort: p.publicPort, protocol: p.protocol })),
      ...plan.anyPorts.map((p) => ({ ip, publicPort: p.publicPort, protocol: p.protocol })),
    ];
    let instanceId = req.id;
    while (instanceId === undefined || this.instances.has(instanceId)) instanceId = `pending-${++this.seq}`;
    const rec: InstanceRecord = toRecord({
      id: instanceId,
      hostId: hs.id,
      name: req.name,
      labels: req.labels,
      ports: bindings,
      ...(req.serviceRef !== undefined && { serviceRef: req.serviceRef }),
      ...(req.memoryReservation !== undefined && { memoryReservation: req.memoryReservation }),
      ...(req.milliCpuReservation !== undefined && { milliCpuReservation: req.milliCpuReservation }),
    });
    rec.addresses = req.addresses ?? 0;
    this.instances.set(instanceId, rec);
    hs.add(rec);
    return { hostId: hs.id, instanceId, bindings };
  }
}
