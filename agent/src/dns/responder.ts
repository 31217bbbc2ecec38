import type { HostState } from "@corral/api";
import { type Answer, type DecodedPacket, decode, type Question } from "dns-packet";
import type { CachedAnswer } from "./cache.ts";
import { fastZoneReply } from "./fast-path.ts";
import { type Endpoint, endpointKey, parseEndpoint, SourceFilter } from "./net-util.ts";
import type { Upstream } from "./upstream.ts";
import {
  aRecord,
  encodeReply,
  headerReply,
  isResponse,
  opcodeOf,
  qtype,
  Rcode,
  type ReplyInit,
  shuffled,
} from "./wire.ts";
import { DnsZone, ZONE, type ZoneRecord } from "./zone.ts";

/** Record TTL inside the zone: clients re-ask every second, so health changes show at once. */
export const ZONE_TTL = 1;
/** Queries larger than this are not DNS questions we serve (a question fits in a few hundred bytes). */
export const MAX_QUERY_BYTES = 4096;
/** Used when neither the host state nor resolv.conf names a resolver (as rancher-dns). */
export const FALLBACK_RESOLVERS = ["8.8.8.8", "8.8.4.4"];
/** How many CNAME hops inside the zone we follow before giving up (alias loops). */
const MAX_CHASE = 8;

/** Settings the responder takes from the server's configuration, not from the host state. */
export interface ResponderSettings {
  /** Sources allowed besides the managed network and known containers (default loopback). */
  allowedSources: readonly string[];
  /** Our own listening endpoints: never used as upstreams, or we would ask ourselves forever. */
  self: readonly Endpoint[];
}

/** The tables of one host state: the zone, who may ask, and the host's upstreams. */
interface Tables {
  zone: DnsZone | null;
  filter: SourceFilter;
  hostServers: Endpoint[];
  soa: Answer;
}

/**
 * Turns one raw query into one raw reply for a given source address: zone answers from the
 * precomputed DnsZone, everything else through the Upstream. Never throws; returns null only for
 * input that deserves silence (shorter than a header, or itself a response).
 */
export class DnsResponder {
  private tables: Tables;
  private readonly selfKeys: Set<string>;

  constructor(
    private readonly upstream: Upstream,
    private readonly settings: ResponderSettings,
  ) {
    this.selfKeys = new Set(settings.self.map(endpointKey));
    this.tables = this.build(null, []);
  }

  /** Rebuilds every table from a new host state and the host's resolv.conf nameservers. */
  update(state: HostState | null, resolvConf: readonly string[]): void {
    const before = this.tables.hostServers.map(endpointKey).join(",");
    this.tables = this.build(state, resolvConf);
    if (this.tables.hostServers.map(endpointKey).join(",") !== before) this.upstream.cache.clear();
  }

  private build(state: HostState | null, resolvConf: readonly string[]): Tables {
    const allowed = [...this.settings.allowedSources];
    if (state?.network) allowed.push(state.network.cidr, state.network.hostSubnet);
    const configured = state && state.upstreamDns.length > 0 ? state.upstreamDns : resolvConf;
    let hostServers = this.endpoints(configured);
    if (hostServers.length === 0) hostServers = this.endpoints(FALLBACK_RESOLVERS);
    const soa: Answer = {
      name: ZONE,
      type: "SOA",
      class: "IN",
      ttl: ZONE_TTL,
      data: {
        mname: `ns.${ZONE}`,
        rname: `hostmaster.${ZONE}`,
        serial: (state?.version ?? 0) >>> 0,
        refresh: 60,
        retry: 60,
        expire: 86_400,
        minimum: ZONE_TTL,
      },
    };
    return { zone: state ? new DnsZone(state) : null, filter: new SourceFilter(allowed), hostServers, soa };
  }

  /** Parses resolver addresses, dropping our own. */
  private endpoints(list: readonly string[]): Endpoint[] {
    const out: Endpoint[] = [];
    for (const text of list) {
      const e = parseEndpoint(text);
      if (e && !this.selfKeys.has(endpointKey(e))) out.push(e);
    }
    return out;
  }

  /**
   * Answers one message from `ip`; `max` is the reply size limit of the transport. Zone answers
   * come back synchronously (no promise on the hot path: fewer allocations, shorter pauses);
   * recursion and CNAME chasing return a promise.
   */
  handle(raw: Buffer, ip: string, max: number): Buffer | null | Promise<Buffer | null> {
    if (raw.length < 12 || isResponse(raw)) return null;
    if (raw.length > MAX_QUERY_BYTES) return headerReply(raw, Rcode.FORMERR);
    if (opcodeOf(raw) !== 0) return headerReply(raw, Rcode.NOTIMP);
    const fast = this.tables;
    if (fast.zone && fast.filter.allows(ip)) {
      const reply = fastZoneReply(raw, ip, fast.zone, max);
      if (reply) return reply;
    }
    let query: DecodedPacket;
    try {
      query = decode(raw);
    } catch {
      return headerReply(raw, Rcode.FORMERR);
    }
    const q = query.questions?.[0];
    if (!q || query.questions?.length !== 1) return headerReply(raw, Rcode.FORMERR);
    const t = this.tables;
    try {
      if (!t.filter.allows(ip) && !t.zone?.knowsAddress(ip))
        return encodeReply(query, { rcode: Rcode.REFUSED }, max);
      if ((q.class ?? "IN") !== "IN" || qtype(q) === "ANY")
        return encodeReply(query, { rcode: Rcode.NOTIMP }, max);
      const reply = this.answer(q, ip, t);
      if (reply instanceof Promise) {
        return reply.then(
          (r) => encodeReply(query, r, max),
          () => headerReply(raw, Rcode.SERVFAIL),
        );
      }
      return encodeReply(query, reply, max);
    } catch {
      // A record or echoed question we cannot encode (odd upstream data, a name that grew past
      // 255 bytes when decoded) is a server failure, not a crash.
      return headerReply(raw, Rcode.SERVFAIL);
    }
  }

  private answer(q: Question, ip: string, t: Tables): ReplyInit | Promise<ReplyInit> {
    const type = qtype(q);
    const found = t.zone?.lookup(q.name, ip);
    if (!found || found.kind === "outside") {
      const name = q.name.toLowerCase().replace(/\.$/, "");
      const inZone = name === ZONE || name.endsWith(`.${ZONE}`);
      // Before the first host state we know nothing of the zone: fail softly rather than deny.
      if (!t.zone && inZone) return { rcode: Rcode.SERVFAIL };
      return this.upstream
        .resolve(q, this.serversFor(ip, t))
        .then((reply) => (reply ? fromUpstream(reply) : { rcode: Rcode.SERVFAIL }));
    }
    if (found.kind === "nxdomain")
      return { rcode: Rcode.NXDOMAIN, authoritative: true, authorities: [t.soa] };
    if (found.kind === "apex") {
      const soa = { ...t.soa, name: q.name };
      return type === "SOA"
        ? { rcode: Rcode.NOERROR, authoritative: true, answers: [soa] }
        : { rcode: Rcode.NOERROR, authoritative: true, authorities: [t.soa] };
    }
    return this.fromRecord(q, found.record, ip, t);
  }

  private fromRecord(q: Question, record: ZoneRecord, ip: string, t: Tables): ReplyInit | Promise<ReplyInit> {
    const type = qtype(q);
    const nodata = { rcode: Rcode.NOERROR, authoritative: true, authorities: [t.soa] };
    if (!record.cname) {
      if (type !== "A" || record.ips.length === 0) return nodata;
      const answers = shuffled(record.ips).map((a) => aRecord(q.name, a, ZONE_TTL));
      return { rcode: Rcode.NOERROR, authoritative: true, answers };
    }
    return this.chase(q, { ...record, cname: record.cname }, ip, t);
  }

  /** A CNAME answer, its target chased inside the zone from our tables, outside through upstreams. */
  private async chase(
    q: Question,
    record: ZoneRecord & { cname: string },
    ip: string,
    t: Tables,
  ): Promise<ReplyInit> {
    const type = qtype(q);
    const answers: Answer[] = [
      { name: q.name, type: "CNAME", class: "IN", ttl: ZONE_TTL, data: record.cname },
    ];
    if (type !== "A" && type !== "AAAA") return { rcode: Rcode.NOERROR, authoritative: true, answers };
    // Chase the target: inside the zone from our tables, outside through the asker's upstreams.
    let target = record.cname;
    for (let hop = 0; hop < MAX_CHASE; hop++) {
      const next = t.zone?.lookup(target, ip);
      if (!next || next.kind === "outside") {
        const reply = await this.upstream.resolve(
          { name: target, type: q.type, class: "IN" },
          this.serversFor(ip, t),
        );
        if (reply?.rcode === Rcode.NOERROR) answers.push(...reply.answers);
        break;
      }
      if (next.kind !== "record") break;
      if (!next.record.cname) {
        if (type === "A") answers.push(...shuffled(next.record.ips).map((a) => aRecord(target, a, ZONE_TTL)));
        break;
      }
      answers.push({ name: target, type: "CNAME", class: "IN", ttl: ZONE_TTL, data: next.record.cname });
      target = next.record.cname;
    }
    return { rcode: Rcode.NOERROR, authoritative: true, answers };
  }

  /** The asker's own `dns` servers first (without ourselves), then the host's. */
  serversFor(ip: string, t: Tables = this.tables): Endpoint[] {
    const own = t.zone?.client(ip)?.dns ?? [];
    if (own.length === 0) return t.hostServers;
    const seen = new Set<string>();
    const out: Endpoint[] = [];
    for (const e of [...this.endpoints(own), ...t.hostServers]) {
      const key = endpointKey(e);
      if (!seen.has(key)) out.push(e);
      seen.add(key);
    }
    return out;
  }
}

function fromUpstream(reply: CachedAnswer) {
  return {
    rcode: reply.rcode,
    answers: reply.answers,
    authorities: reply.authorities,
    additionals: reply.additionals,
  };
}
