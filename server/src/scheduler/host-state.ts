/**
 * Per-host indexes kept in step with the instances on each host, so that every rule check during a
 * placement is one map lookup instead of a scan over the host's instances.
 */
import {
  ANY_IP,
  hostIps,
  LABEL_REQUIRE_ANY,
  LABEL_STACK_SERVICE_NAME,
  type LabelTerm,
  pairKey,
  parseLabelTerms,
} from "./affinity.ts";
import type { PortBinding, PortProtocol, SchedHost, SchedInstance } from "./types.ts";

/** An instance as indexed: its lowercased label keys, names, bindings with their port keys, reservations. */
export interface InstanceRecord {
  id: string;
  hostId: string;
  /** `key\0value` and bare `key` of every label, lowercased. */
  labelKeys: string[];
  /** Lowercased name and id: Cattle's `container` rule matches either. */
  names: string[];
  serviceRef: string | undefined;
  bindings: PortBinding[];
  /** `protocol/port` of each binding, parallel to `bindings`. */
  portKeys: string[];
  memory: number;
  milliCpu: number;
  /** Managed addresses this record took from the host's free count (placements of this scheduler only). */
  addresses: number;
}

/** Index key of a port: `tcp/80`. */
export function portKey(protocol: PortProtocol, port: number): string {
  return `${protocol}/${port}`;
}

/** Build the index record of an instance; ports without an IP count as bound on `0.0.0.0`. */
export function toRecord(inst: SchedInstance): InstanceRecord {
  const bindings: PortBinding[] = [];
  for (const p of inst.ports) {
    // A random port (0) is picked on the host and never conflicts.
    if (p.publicPort > 0)
      bindings.push({ ip: p.ip || ANY_IP, publicPort: p.publicPort, protocol: p.protocol });
  }
  return {
    id: inst.id,
    hostId: inst.hostId,
    labelKeys: labelKeysOf(inst.labels),
    names: [...new Set([inst.name.toLowerCase(), inst.id.toLowerCase()])],
    serviceRef: inst.serviceRef ?? inst.labels[LABEL_STACK_SERVICE_NAME],
    bindings,
    portKeys: bindings.map((b) => portKey(b.protocol, b.publicPort)),
    memory: inst.memoryReservation ?? 0,
    milliCpu: inst.milliCpuReservation ?? 0,
    addresses: 0,
  };
}

/** Lowercased `key\0value` and bare `key` of each label: what affinity rule `match` keys look up. */
export function labelKeysOf(labels: Record<string, string>): string[] {
  const keys: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const key = k.toLowerCase();
    keys.push(pairKey(key, (v ?? "").toLowerCase()), key);
  }
  return keys;
}

/** What rule checks read from a host: the live indexes, or the same minus some instances. */
export interface HostView {
  readonly state: HostState;
  labelCount(match: string): number;
  nameCount(match: string): number;
  /** Whether binding `key` on `ip` collides with a binding already on the host. */
  portTaken(key: string, ip: string): boolean;
  memoryUsed(): number;
  milliCpuUsed(): number;
}

function inc(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  // Deleting at zero keeps `has`/`size` meaningful for the port checks.
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

function incPort(ports: Map<string, Map<string, number>>, key: string, ip: string, by: number): void {
  const byIp = ports.get(key) ?? new Map<string, number>();
  inc(byIp, ip, by);
  if (byIp.size > 0) ports.set(key, byIp);
  else ports.delete(key);
}

/** The live state of one host: its static facts plus indexes over the instances placed on it. */
export class HostState implements HostView {
  host!: SchedHost;
  /** Active with a connected agent: the only hosts that take new work. */
  eligible = false;
  /** `key\0value` and bare `key` of the host's labels, lowercased. */
  hostLabels = new Set<string>();
  /** Parsed `io.rancher.scheduler.require_any`, or null when the host accepts anything. */
  requireAny: LabelTerm[] | null = null;
  requireAnyText = "";
  /** The host's IPs other than 0.0.0.0, in label order. */
  specificIps: string[] = [];
  ipSet = new Set<string>();
  readonly instances = new Map<string, InstanceRecord>();
  readonly containerLabels = new Map<string, number>();
  readonly names = new Map<string, number>();
  readonly services = new Map<string, number>();
  /** `tcp/80` -> ip -> number of bindings. */
  readonly ports = new Map<string, Map<string, number>>();
  memory = 0;
  milliCpu = 0;
  /** Addresses taken by placements of this scheduler, on top of the host's `addresses.inUse`. */
  addressesPlaced = 0;
  readonly state = this;

  constructor(host: SchedHost) {
    this.update(host);
  }

  get id(): string {
    return this.host.id;
  }

  /**
   * Replace the host's own facts (labels, state, IPs, totals); the instance indexes stay.
   * Returns whether the labels changed, so the caller knows when its label index is stale.
   */
  update(host: SchedHost): boolean {
    this.host = host;
    this.eligible = host.state === "active" && host.agentConnected;
    const labels = new Set(labelKeysOf(host.labels));
    const changed = labels.size !== this.hostLabels.size || [...labels].some((k) => !this.hostLabels.has(k));
    this.hostLabels = labels;
    const anyOf = host.labels[LABEL_REQUIRE_ANY];
    const terms = anyOf ? parseLabelTerms(anyOf) : [];
    this.requireAny = terms.length > 0 ? terms : null;
    this.requireAnyText = terms.map((t) => (t.value === null ? t.key : `${t.key}=${t.value}`)).join(",");
    const ips = host.ips.length > 0 ? host.ips : hostIps(host.labels);
    this.specificIps = ips.filter((ip) => ip !== ANY_IP);
    this.ipSet = new Set([...ips, ANY_IP]);
    return changed;
  }

  /** Index an instance placed on this host. */
  add(rec: InstanceRecord): void {
    this.apply(rec, 1);
    this.instances.set(rec.id, rec);
  }

  /** Drop an instance's contribution to the indexes. */
  remove(rec: InstanceRecord): void {
    if (!this.instances.delete(rec.id)) return;
    this.apply(rec, -1);
  }

  private apply(rec: InstanceRecord, by: 1 | -1): void {
    for (const k of rec.labelKeys) inc(this.containerLabels, k, by);
    for (const n of rec.names) inc(this.names, n, by);
    if (rec.serviceRef) inc(this.services, rec.serviceRef, by);
    rec.bindings.forEach((b, i) => {
      incPort(this.ports, rec.portKeys[i]!, b.ip, by);
    });
    this.memory += by * rec.memory;
    this.milliCpu += by * rec.milliCpu;
    this.addressesPlaced += by * rec.addresses;
  }

  /**
   * Why the host cannot give `needed` more container addresses, or null when it can. Instances
   * read from the store are already in the host's `inUse` count; placements made since add to it.
   */
  addressFailure(needed: number): string | null {
    const a = this.host.addresses;
    if (!a || needed <= 0) return null;
    const used = a.inUse + this.addressesPlaced;
    if (used + needed <= a.capacity) return null;
    return `no free container address (${Math.min(used, a.capacity)} of ${a.capacity} in use)`;
  }

  /** Number of instances on the host. */
  get instanceCount(): number {
    return this.instances.size;
  }

  labelCount(match: string): number {
    return this.containerLabels.get(match) ?? 0;
  }

  nameCount(match: string): number {
    return this.names.get(match) ?? 0;
  }

  portTaken(key: string, ip: string): boolean {
    const byIp = this.ports.get(key);
    if (!byIp) return false;
    // 0.0.0.0 collides with every IP of the host, and every IP collides with 0.0.0.0.
    return ip === ANY_IP ? byIp.size > 0 : byIp.has(ip) || byIp.has(ANY_IP);
  }

  memoryUsed(): number {
    return this.memory;
  }

  milliCpuUsed(): number {
    return this.milliCpu;
  }
}

/** A host seen without some of its instances (a global service's own units, when asking eligibility). */
export class DiscountedView implements HostView {
  private readonly labels = new Map<string, number>();
  private readonly names = new Map<string, number>();
  private readonly ports = new Map<string, Map<string, number>>();
  private memory = 0;
  private milliCpu = 0;

  constructor(
    readonly state: HostState,
    without: InstanceRecord[],
  ) {
    for (const rec of without) {
      for (const k of rec.labelKeys) inc(this.labels, k, 1);
      for (const n of rec.names) inc(this.names, n, 1);
      rec.bindings.forEach((b, i) => {
        incPort(this.ports, rec.portKeys[i]!, b.ip, 1);
      });
      this.memory += rec.memory;
      this.milliCpu += rec.milliCpu;
    }
  }

  labelCount(match: string): number {
    return this.state.labelCount(match) - (this.labels.get(match) ?? 0);
  }

  nameCount(match: string): number {
    return this.state.nameCount(match) - (this.names.get(match) ?? 0);
  }

  portTaken(key: string, ip: string): boolean {
    const live = this.state.ports.get(key);
    if (!live) return false;
    const own = this.ports.get(key);
    const left = (at: string) => (live.get(at) ?? 0) - (own?.get(at) ?? 0) > 0;
    if (ip !== ANY_IP) return left(ip) || left(ANY_IP);
    for (const at of live.keys()) if (left(at)) return true;
    return false;
  }

  memoryUsed(): number {
    return this.state.memory - this.memory;
  }

  milliCpuUsed(): number {
    return this.state.milliCpu - this.milliCpu;
  }
}
