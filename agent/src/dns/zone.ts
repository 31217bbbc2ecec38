import type { HostState, StateContainer, StateService } from "@corral/api";

/** The authoritative zone, as Rancher 1.6 named it so existing stacks keep resolving. */
export const ZONE = "rancher.internal";

/** What one name answers: addresses (already filtered by health) or a CNAME to an outside name. */
export interface ZoneRecord {
  ips: readonly string[];
  cname: string | null;
}

/** Result of a zone lookup: a record, an unknown name inside the zone, or a name to recurse. */
export type ZoneAnswer =
  | { kind: "record"; record: ZoneRecord }
  | { kind: "nxdomain" }
  | { kind: "apex" }
  | { kind: "outside" };

/** What the zone knows about one asking container (found by its source address). */
export interface ClientView {
  stack: string | null;
  service: string | null;
  /** Link aliases of the container or its service, lowercased. */
  aliases: Map<string, ZoneRecord>;
  /** Sidekicks of the container's own service by launch config name (and the primary by ""). */
  sidekicks: Map<string, ZoneRecord>;
  /** The container's own `dns` servers, recursed before the host's. */
  dns: readonly string[];
}

const EMPTY: ZoneRecord = { ips: [], cname: null };
const lc = (s: string) => s.toLowerCase();

/**
 * Rancher's rule for addresses behind a name: running containers with an address, healthy ones
 * only (no health check counts as healthy); when none is healthy one unhealthy address is kept so
 * a service whose checks are all failing still resolves rather than vanishing.
 */
export function pickAddresses(containers: readonly StateContainer[]): string[] {
  const healthy: string[] = [];
  let fallback: StateContainer | null = null;
  for (const c of containers) {
    if (c.state !== "running" || !c.ip) continue;
    if (c.healthState === null || c.healthState === "healthy") healthy.push(c.ip);
    else if (!fallback || (c.createIndex ?? 0) < (fallback.createIndex ?? 0)) fallback = c;
  }
  if (healthy.length === 0 && fallback?.ip) return [fallback.ip];
  return [...new Set(healthy)];
}

/**
 * Every name of one host state, precomputed so each query is a handful of map lookups: a global
 * table (`svc.stack`, `side.primary.stack`, container names) and, per container address, the
 * names that depend on who asks (link aliases, own-stack short names, own sidekicks). A new
 * DnsZone is built on every host state, which is how records follow health changes at once.
 */
export class DnsZone {
  private readonly global = new Map<string, ZoneRecord>();
  private readonly containers = new Map<string, ZoneRecord>();
  private readonly clients = new Map<string, ClientView>();
  private readonly serviceRecords = new Map<string, ZoneRecord>();
  private readonly servicesById = new Map<string, StateService>();
  private readonly byService = new Map<string, StateContainer[]>();

  constructor(readonly state: HostState) {
    for (const s of state.services) this.servicesById.set(s.id, s);
    for (const c of state.containers) {
      if (!c.serviceId) continue;
      const list = this.byService.get(c.serviceId) ?? [];
      list.push(c);
      this.byService.set(c.serviceId, list);
    }
    for (const s of state.services) {
      const stack = lc(s.stackName);
      this.global.set(`${lc(s.name)}.${stack}`, this.serviceRecord(s.id, new Set()));
      for (const [side, record] of this.sidekicksOf(s)) {
        if (side) this.global.set(`${side}.${lc(s.name)}.${stack}`, record);
      }
    }
    for (const c of state.containers) {
      const ips = pickAddresses([c]);
      if (ips.length > 0) this.containers.set(lc(c.name), { ips, cname: null });
    }
    for (const c of state.containers) if (c.ip) this.clients.set(c.ip, this.clientView(c));
  }

  /** The per-client view of the container at `ip`, if that address is one of ours. */
  client(ip: string): ClientView | undefined {
    return this.clients.get(ip);
  }

  /** Whether `ip` belongs to a container of the environment. */
  knowsAddress(ip: string): boolean {
    return this.clients.has(ip);
  }

  /**
   * Looks up `name` (any case, with or without trailing dot) for the client at `ip`. Names under
   * rancher.internal are ours (unknown: NXDOMAIN); bare names are ours when they match, otherwise
   * they go upstream, since search domains make most short names arrive fully qualified anyway.
   */
  lookup(name: string, ip: string): ZoneAnswer {
    let rel = lc(name.endsWith(".") ? name.slice(0, -1) : name);
    if (rel === ZONE) return { kind: "apex" };
    const inZone = rel.endsWith(`.${ZONE}`);
    if (inZone) rel = rel.slice(0, -(ZONE.length + 1));
    const record = this.find(rel, this.clients.get(ip));
    if (record) return { kind: "record", record };
    return inZone ? { kind: "nxdomain" } : { kind: "outside" };
  }

  private find(rel: string, client: ClientView | undefined): ZoneRecord | undefined {
    if (client?.stack) {
      // The search domains (`svc.stack`, `stack`) carry the asker's own context: strip them and
      // resolve what is left relative to the asker, before any global name.
      if (client.service) {
        const own = `.${client.service}.${client.stack}`;
        if (rel.endsWith(own)) {
          const hit = this.relative(rel.slice(0, -own.length), client);
          if (hit) return hit;
        }
      }
      const stack = `.${client.stack}`;
      if (rel.endsWith(stack)) {
        const hit = this.relative(rel.slice(0, -stack.length), client);
        if (hit) return hit;
      }
    }
    if (client) {
      const hit = this.relative(rel, client);
      if (hit) return hit;
    }
    return this.global.get(rel) ?? this.containers.get(rel);
  }

  /** A short name seen from `client`: link alias, own sidekick, own-stack service, container. */
  private relative(x: string, client: ClientView): ZoneRecord | undefined {
    if (!x) return undefined;
    return (
      client.aliases.get(x) ??
      (x.includes(".") ? undefined : client.sidekicks.get(x)) ??
      (client.stack ? this.global.get(`${x}.${client.stack}`) : undefined) ??
      this.containers.get(x)
    );
  }

  private clientView(c: StateContainer): ClientView {
    const service = c.serviceId ? this.servicesById.get(c.serviceId) : undefined;
    const aliases = new Map<string, ZoneRecord>();
    for (const link of service?.links ?? []) {
      aliases.set(lc(link.alias), this.serviceRecord(link.serviceId, new Set()));
    }
    const stack = c.stackName ?? service?.stackName ?? null;
    for (const [alias, target] of Object.entries(c.links)) {
      const record = this.resolveLinkTarget(target, stack);
      if (record) aliases.set(lc(alias), record);
    }
    return {
      stack: stack ? lc(stack) : null,
      service: c.serviceName ? lc(c.serviceName) : service ? lc(service.name) : null,
      aliases,
      sidekicks: service ? this.sidekicksOf(service) : new Map(),
      dns: c.dns,
    };
  }

  /** A standalone container's link target: `stack/service`, `service.stack`, own-stack service, container. */
  private resolveLinkTarget(target: string, stack: string | null): ZoneRecord | undefined {
    const t = lc(target);
    const slash = t.indexOf("/");
    if (slash > 0) return this.global.get(`${t.slice(slash + 1)}.${t.slice(0, slash)}`);
    return (
      this.global.get(t) ??
      (stack ? this.global.get(`${t}.${lc(stack)}`) : undefined) ??
      this.containers.get(t)
    );
  }

  /** Records of a service's launch configs: "" is the primary, the rest are sidekick names. */
  private sidekicksOf(s: StateService): Map<string, ZoneRecord> {
    const groups = new Map<string, StateContainer[]>();
    for (const name of s.sidekicks) groups.set(lc(name), []);
    for (const c of this.byService.get(s.id) ?? []) {
      const key = lc(c.launchConfigName ?? "");
      if (key === lc(s.name)) continue; // some writers name the primary after its service
      const list = groups.get(key) ?? [];
      list.push(c);
      groups.set(key, list);
    }
    const out = new Map<string, ZoneRecord>();
    for (const [key, list] of groups) out.set(key, { ips: pickAddresses(list), cname: null });
    return out;
  }

  /**
   * The record behind a service id, memoised. External services answer their addresses or a CNAME;
   * alias (dnsService) services answer the union of their targets; `visiting` stops alias cycles.
   */
  private serviceRecord(id: string, visiting: Set<string>): ZoneRecord {
    const cached = this.serviceRecords.get(id);
    if (cached) return cached;
    const s = this.servicesById.get(id);
    if (!s || visiting.has(id)) return EMPTY;
    visiting.add(id);
    let record: ZoneRecord;
    if (s.kind === "externalService") {
      record =
        s.externalIpAddresses.length > 0
          ? { ips: [...new Set(s.externalIpAddresses)], cname: null }
          : { ips: [], cname: s.hostname ? lc(s.hostname).replace(/\.$/, "") : null };
    } else if (s.kind === "dnsService") {
      const ips = new Set<string>();
      const cnames: string[] = [];
      for (const link of s.links) {
        const target = this.serviceRecord(link.serviceId, visiting);
        for (const ip of target.ips) ips.add(ip);
        if (target.cname) cnames.push(target.cname);
      }
      // A CNAME cannot sit beside addresses; it only stands when it is all the alias points at.
      record = { ips: [...ips], cname: ips.size === 0 && cnames.length === 1 ? cnames[0]! : null };
    } else {
      const primaries = (this.byService.get(id) ?? []).filter(
        (c) => !c.launchConfigName || lc(c.launchConfigName) === lc(s.name),
      );
      record = { ips: pickAddresses(primaries), cname: null };
    }
    visiting.delete(id);
    this.serviceRecords.set(id, record);
    return record;
  }
}
