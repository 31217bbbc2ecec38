import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import type { Logger } from "@corral/lib";
import {
  type DecodedPacket,
  decode,
  encode,
  type Question,
  RECURSION_DESIRED,
  streamEncode,
} from "dns-packet";
import { AnswerCache, type CachedAnswer } from "./cache.ts";
import { type Endpoint, endpointKey } from "./net-util.ts";

/** Options of the upstream resolver. */
export interface UpstreamOptions {
  /** Per-server timeout (default 2,000 ms, as rancher-dns). */
  timeoutMs?: number;
  /** Cache entries (default 1,000). */
  cacheSize?: number;
  logger?: Logger;
}

interface Pending {
  server: string;
  name: string;
  type: string;
  resolve: (p: DecodedPacket) => void;
}

const RCODE_SERVFAIL = 2;
const RCODE_REFUSED = 5;

/**
 * Recursion for names outside the zone: asks the given servers in order over UDP (retrying over
 * TCP when the answer is truncated), caches answers by TTL, and merges identical questions in
 * flight so a burst of clients asking the same name costs one upstream query.
 */
export class Upstream {
  readonly cache: AnswerCache;
  private readonly timeoutMs: number;
  private readonly sockets = new Map<"udp4" | "udp6", UdpSocket>();
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Map<string, Promise<CachedAnswer | null>>();
  private closed = false;

  constructor(private readonly options: UpstreamOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cache = new AnswerCache(options.cacheSize ?? 1000);
  }

  /** The answer of the first server that gives one (NOERROR or NXDOMAIN), or null when all fail. */
  resolve(q: Question, servers: readonly Endpoint[]): Promise<CachedAnswer | null> {
    const key = `${servers.map(endpointKey).join(",")}|${q.type}|${q.class ?? "IN"}|${q.name.toLowerCase()}`;
    const hit = this.cache.get(key);
    if (hit) return Promise.resolve(hit);
    const running = this.inflight.get(key);
    if (running) return running;
    const job = this.ask(q, servers, key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, job);
    return job;
  }

  /** Closes the sockets; pending questions fail by timeout. */
  close(): void {
    this.closed = true;
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private async ask(q: Question, servers: readonly Endpoint[], key: string): Promise<CachedAnswer | null> {
    for (const server of servers) {
      try {
        let reply = await this.udp(q, server);
        if (reply.flag_tc) reply = await this.tcp(q, server);
        const answer = toCached(reply);
        // A broken or unwilling server is no answer: try the next one.
        if (answer.rcode === RCODE_SERVFAIL || answer.rcode === RCODE_REFUSED) continue;
        this.cache.set(key, answer);
        return answer;
      } catch (e) {
        this.options.logger?.debug("upstream failed", {
          server: endpointKey(server),
          name: q.name,
          error: e,
        });
      }
    }
    return null;
  }

  private socket(family: "udp4" | "udp6"): UdpSocket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = createSocket(family);
    s.on("message", (msg, rinfo) => this.onReply(msg, `${rinfo.address}#${rinfo.port}`));
    s.on("error", (e) => this.options.logger?.warn("upstream socket error", { error: e }));
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private onReply(msg: Buffer, from: string): void {
    let p: DecodedPacket;
    try {
      p = decode(msg);
    } catch {
      return;
    }
    const waiting = p.id === undefined ? undefined : this.pending.get(p.id);
    const q = p.questions?.[0];
    // Only the server we asked, answering the question we asked, counts: anything else may be a
    // spoofing attempt or a late reply to an earlier question.
    if (!waiting || waiting.server !== from || !q || q.name.toLowerCase() !== waiting.name) return;
    if (q.type !== waiting.type || p.type !== "response") return;
    waiting.resolve(p);
  }

  private newId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 65536);
      if (!this.pending.has(id)) return id;
    }
  }

  private udp(q: Question, server: Endpoint): Promise<DecodedPacket> {
    if (this.closed) return Promise.reject(new Error("closed"));
    // Every id in use would make newId spin: past this many questions in flight, fail fast.
    if (this.pending.size > 60_000) return Promise.reject(new Error("too many questions in flight"));
    const id = this.newId();
    const msg = encode({ type: "query", id, flags: RECURSION_DESIRED, questions: [q] });
    const socket = this.socket(isIPv6(server.host) ? "udp6" : "udp4");
    return new Promise<DecodedPacket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error("timeout"));
      }, this.timeoutMs);
      this.pending.set(id, {
        server: endpointKey(server),
        name: q.name.toLowerCase(),
        type: q.type,
        resolve: (p) => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(p);
        },
      });
      socket.send(msg, server.port, server.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private tcp(q: Question, server: Endpoint): Promise<DecodedPacket> {
    const id = this.newId();
    const msg = streamEncode({ type: "query", id, flags: RECURSION_DESIRED, questions: [q] });
    return new Promise<DecodedPacket>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const sock = connect({ host: server.host, port: server.port });
      const done = (err: Error | null, p?: DecodedPacket) => {
        clearTimeout(timer);
        sock.destroy();
        if (p) resolve(p);
        else reject(err ?? new Error("closed"));
      };
      const timer = setTimeout(() => done(new Error("timeout")), this.timeoutMs);
      sock.on("connect", () => sock.write(msg));
      sock.on("error", (e) => done(e));
      sock.on("close", () => done(new Error("closed")));
      sock.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const len = buf.readUInt16BE(0);
        if (buf.length < len + 2) return;
        try {
          const p = decode(buf.subarray(2, len + 2));
          if (p.id !== id) return done(new Error("id mismatch"));
          done(null, p);
        } catch (e) {
          done(e as Error);
        }
      });
    });
  }
}

/** The parts of an upstream reply we keep and re-send (EDNS OPT records are hop-by-hop). */
export function toCached(p: DecodedPacket): CachedAnswer {
  const flags = p.flags ?? 0;
  return {
    rcode: flags & 0xf,
    flags,
    answers: p.answers ?? [],
    authorities: p.authorities ?? [],
    additionals: (p.additionals ?? []).filter((a) => a.type !== "OPT"),
  };
}
