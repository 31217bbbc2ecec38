import { isIPv4 } from "node:net";

/**
 * Small address helpers for the DNS server: which sources may ask us, and how to spell an
 * upstream resolver. Only IPv4 ranges are matched by prefix (the managed network and loopback are
 * IPv4); IPv6 sources match exact entries or `::1`.
 */

/** Strips the IPv4-mapped IPv6 prefix dual-stack sockets report (`::ffff:10.42.0.5`). */
export function normalizeIp(address: string): string {
  return address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function ipv4ToInt(ip: string): number | null {
  if (!isIPv4(ip)) return null;
  const parts = ip.split(".").map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

/** A parsed IPv4 CIDR (or a single address when no prefix is given). */
interface Range {
  base: number;
  mask: number;
}

function parseRange(cidr: string): Range | null {
  const [ip, bits] = cidr.split("/");
  const base = ipv4ToInt(ip ?? "");
  const n = bits === undefined ? 32 : Number(bits);
  if (base === null || !Number.isInteger(n) || n < 0 || n > 32) return null;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return { base: (base & mask) >>> 0, mask };
}

/**
 * A set of allowed source addresses: IPv4 CIDRs plus exact addresses. Built once per host state so
 * each query costs a few integer comparisons.
 */
export class SourceFilter {
  private readonly ranges: Range[] = [];
  private readonly exact = new Set<string>();

  constructor(entries: Iterable<string>) {
    for (const entry of entries) {
      const range = parseRange(entry);
      if (range) this.ranges.push(range);
      else this.exact.add(entry);
    }
  }

  /** True when `ip` (already normalized) may use this server. */
  allows(ip: string): boolean {
    if (this.exact.has(ip)) return true;
    const n = ipv4ToInt(ip);
    if (n === null) return false;
    for (const r of this.ranges) if ((n & r.mask) >>> 0 === r.base) return true;
    return false;
  }
}

/** An upstream resolver address. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Parses `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353`; null for anything else. */
export function parseEndpoint(text: string): Endpoint | null {
  const s = text.trim();
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2]);
  if (s.includes(":") && !isIPv4(s.split(":")[0] ?? ""))
    return s.includes(".") ? null : { host: s, port: 53 };
  const [host, port] = s.split(":");
  if (!host || !isIPv4(host)) return null;
  return withPort(host, port);
}

function withPort(host: string, port: string | undefined): Endpoint | null {
  const p = port === undefined ? 53 : Number(port);
  return Number.isInteger(p) && p > 0 && p < 65536 ? { host, port: p } : null;
}

/** `host:port` as a map key. */
export function endpointKey(e: Endpoint): string {
  return `${e.host}#${e.port}`;
}

/** Reads the `nameserver` lines of a resolv.conf text. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}
