import { readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import type { HostState } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { HostStateBus } from "../host-state-bus.ts";
import { normalizeIp, parseResolvConf } from "./net-util.ts";
import { DnsResponder, MAX_QUERY_BYTES } from "./responder.ts";
import { Upstream } from "./upstream.ts";
import { TCP_MAX, UDP_MAX } from "./wire.ts";

/** The link-local address containers use for DNS and metadata, as in Rancher 1.6. */
export const DNS_ADDRESS = "169.254.169.250";

/** Options of startDnsServer. */
export interface DnsServerOptions {
  /** The host's network views; every new one rebuilds the answers. */
  bus: HostStateBus;
  logger: Logger;
  /** Listen address (default 169.254.169.250). */
  address?: string;
  /** UDP and TCP port (default 53; 0 picks a free one, the same for both). */
  port?: number;
  /** Sources allowed besides the managed network and known containers (default loopback). */
  allowedSources?: string[];
  /** The host's resolver configuration (default /etc/resolv.conf). */
  resolvConfPath?: string;
  /** Per-upstream timeout (default 2,000 ms). */
  upstreamTimeoutMs?: number;
  /** A TCP connection with no complete query for this long is closed (default 10,000 ms). */
  tcpIdleTimeoutMs?: number;
  /** Concurrent TCP connections (default 256); beyond it new ones are refused by the kernel queue. */
  maxTcpConnections?: number;
}

/** A running DNS server. */
export interface DnsServer {
  /** The port both transports listen on. */
  readonly port: number;
  /** The responder, for tests and diagnostics. */
  readonly responder: DnsResponder;
  /** Closes both sockets and stops following the host state. */
  stop(): Promise<void>;
}

/** Queries answered at once on one TCP connection; more wait, so one client cannot pile up work. */
const TCP_INFLIGHT = 16;

/**
 * Starts rancher-dns's successor on UDP and TCP: authoritative for rancher.internal from the latest
 * host state (answers depend on the asking container's source address), recursive for everything
 * else on behalf of the host's own containers only.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const address = options.address ?? DNS_ADDRESS;
  const logger = options.logger;
  const resolvPath = options.resolvConfPath ?? "/etc/resolv.conf";
  const upstream = new Upstream({ timeoutMs: options.upstreamTimeoutMs ?? 2000, logger });

  // Set once the port is known (our own endpoint is excluded from upstreams); datagrams that
  // arrive before then are dropped, and the client retries.
  let responder: DnsResponder | null = null;
  const tcp = createServer((sock) => serveTcp(sock, ready, options.tcpIdleTimeoutMs ?? 10_000));
  tcp.maxConnections = options.maxTcpConnections ?? 256;
  tcp.on("error", (e) => logger.warn("dns tcp server error", { error: e }));
  const wanted = options.port ?? 53;
  // Bun's native UDP socket: several times the datagrams per second of node:dgram here.
  const bindUdp = () =>
    Bun.udpSocket({
      hostname: address,
      port: wanted,
      binaryType: "buffer",
      socket: {
        data(sock, msg, fromPort, fromAddress) {
          const reply = responder?.handle(msg, normalizeIp(fromAddress), UDP_MAX);
          // Zone answers are sent at once; only recursion waits for a promise.
          if (reply instanceof Promise) {
            reply.then(
              (r) => {
                if (r && !sock.closed) sock.send(r, fromPort, fromAddress);
              },
              (e) => logger.debug("dns udp query failed", { error: e }),
            );
          } else if (reply && !sock.closed) sock.send(reply, fromPort, fromAddress);
        },
        error(_sock, e) {
          logger.warn("dns udp socket error", { error: e });
        },
      },
    });
  let udp = await bindUdp();
  // Both transports share one port. Asked for any port (tests), the kernel picks a UDP port whose
  // TCP twin may be taken by someone else: then both are picked again.
  for (let attempt = 1; ; attempt++) {
    try {
      await listen(tcp, udp.port, address);
      break;
    } catch (e) {
      udp.close();
      if (wanted !== 0 || attempt >= 20 || (e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
      udp = await bindUdp();
    }
  }
  const port = udp.port;
  // Our own address and port are never an upstream (containers often list us in their `dns`).
  const self = [
    { host: address, port },
    { host: DNS_ADDRESS, port: 53 },
  ];
  const ready = new DnsResponder(upstream, {
    allowedSources: options.allowedSources ?? ["127.0.0.0/8", "::1"],
    self,
  });

  const readResolvConf = async (): Promise<string[]> => {
    try {
      return parseResolvConf(await readFile(resolvPath, "utf8"));
    } catch {
      return [];
    }
  };
  let resolvConf = await readResolvConf();
  ready.update(null, resolvConf);
  const onState = (state: HostState) => {
    // The zone is rebuilt at once from the frame, so answers follow health changes immediately; the
    // listener returns at once too, so the next frame is never held behind the resolv.conf read,
    // which only matters for recursion and is done on the side.
    ready.update(state, resolvConf);
    void readResolvConf().then((fresh) => {
      if (fresh.join(",") !== resolvConf.join(",")) {
        resolvConf = fresh;
        ready.update(options.bus.current ?? state, resolvConf);
      }
    });
  };

  responder = ready;
  const unsubscribe = options.bus.subscribe(onState);
  logger.info("dns listening", { address, port });

  return {
    port,
    responder: ready,
    async stop() {
      unsubscribe();
      upstream.close();
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * One TCP client: length-prefixed queries, several per connection, answered as they complete
 * (RFC 7766 allows out of order). Frames that are empty or too large close the connection; so does
 * silence longer than the idle timeout.
 */
function serveTcp(sock: Socket, responder: DnsResponder, idleMs: number): void {
  const ip = normalizeIp(sock.remoteAddress ?? "");
  let buf: Buffer = Buffer.alloc(0);
  let inflight = 0;
  sock.setTimeout(idleMs, () => sock.destroy());
  sock.on("error", () => sock.destroy());
  const pump = () => {
    while (inflight < TCP_INFLIGHT && buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12 || len > MAX_QUERY_BYTES) {
        sock.destroy();
        return;
      }
      if (buf.length < len + 2) return;
      const msg = buf.subarray(2, len + 2);
      buf = buf.subarray(len + 2);
      inflight++;
      Promise.resolve(responder.handle(Buffer.from(msg), ip, TCP_MAX)).then(
        (reply) => {
          inflight--;
          if (reply && !sock.destroyed) {
            const frame = Buffer.alloc(reply.length + 2);
            frame.writeUInt16BE(reply.length, 0);
            reply.copy(frame, 2);
            sock.write(frame);
          }
          if (sock.isPaused() && inflight < TCP_INFLIGHT) sock.resume();
          pump();
        },
        () => sock.destroy(),
      );
    }
    if (inflight >= TCP_INFLIGHT) sock.pause();
  };
  sock.on("data", (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    pump();
  });
}
