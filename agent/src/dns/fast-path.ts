import type { DnsZone } from "./zone.ts";

/** TTL of zone answers (Rancher's catalog default). */
const ttl = 1;
const maxLabels = 127;
const plainLabel = /^[A-Za-z0-9_-]+$/;
const addressBytes = new Map<string, Buffer>();

/** The four bytes of an IPv4 address, parsed once per address. */
function bytesOf(ip: string): Buffer | null {
  let b = addressBytes.get(ip);
  if (b) return b;
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !(n >= 0 && n <= 255))) return null;
  b = Buffer.from(parts);
  if (addressBytes.size > 100_000) addressBytes.clear();
  addressBytes.set(ip, b);
  return b;
}

/** Reads the question name of a plain query (no compression, plain labels); null otherwise. */
function questionName(raw: Buffer): { name: string; end: number } | null {
  const labels: string[] = [];
  let at = 12;
  while (at < raw.length) {
    const len = raw[at]!;
    if (len === 0) return { name: labels.join("."), end: at + 1 };
    if (len > 63 || labels.length >= maxLabels || at + 1 + len > raw.length) return null;
    const label = raw.toString("latin1", at + 1, at + 1 + len);
    if (!plainLabel.test(label)) return null;
    labels.push(label);
    at += 1 + len;
  }
  return null;
}

/**
 * The common case without the general decoder: one A/IN question, no other records, answered from
 * the zone with addresses (no CNAME). The reply is written straight into one buffer, the answers
 * pointing at the question's name (so the asker's letter case is echoed), shuffled, TTL 1, cut to
 * `max` bytes with TC. Everything else returns null and takes the general path, which gives the same
 * answers; this only saves the per-query objects that made the latency tail.
 */
export function fastZoneReply(raw: Buffer, ip: string, zone: DnsZone, max: number): Buffer | null {
  if (raw.length < 17 || raw.readUInt16BE(4) !== 1 || raw.readUInt32BE(6) !== 0 || raw.readUInt16BE(10) !== 0)
    return null;
  const q = questionName(raw);
  if (!q || q.end + 4 !== raw.length) return null;
  if (raw.readUInt16BE(q.end) !== 1 || raw.readUInt16BE(q.end + 2) !== 1) return null;
  const found = zone.lookup(q.name, ip);
  if (found.kind !== "record" || found.record.cname !== null || found.record.ips.length === 0) return null;
  const ips = found.record.ips;
  const order = ips.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const head = q.end + 4;
  const fit = Math.max(0, Math.floor((max - head) / 16));
  const count = Math.min(ips.length, fit);
  const out = Buffer.allocUnsafe(head + count * 16);
  raw.copy(out, 0, 0, head);
  const rd = raw.readUInt16BE(2) & 0x0100;
  // QR, AA, RA, the asker's RD; TC when not every address fitted.
  out.writeUInt16BE(0x8000 | 0x0400 | 0x0080 | rd | (count < ips.length ? 0x0200 : 0), 2);
  out.writeUInt16BE(count, 6);
  let at = head;
  for (let k = 0; k < count; k++) {
    const addr = bytesOf(ips[order[k]!]!);
    if (!addr) return null;
    out.writeUInt16BE(0xc00c, at);
    out.writeUInt16BE(1, at + 2);
    out.writeUInt16BE(1, at + 4);
    out.writeUInt32BE(ttl, at + 6);
    out.writeUInt16BE(4, at + 10);
    addr.copy(out, at + 12);
    at += 16;
  }
  return out;
}
