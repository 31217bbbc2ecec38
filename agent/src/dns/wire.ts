import {
  type Answer,
  type DecodedPacket,
  encode,
  encodingLength,
  type Packet,
  type Question,
} from "dns-packet";

/** Response codes we send (RFC 1035 section 4.1.1). */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

/** Largest UDP answer without EDNS (RFC 1035): bigger ones are cut and flagged TC. */
export const UDP_MAX = 512;
/** TCP frames carry at most 65,535 bytes. */
export const TCP_MAX = 65_535;

/** What a reply needs besides its sections. */
export interface ReplyInit {
  rcode: number;
  authoritative?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/**
 * Encodes the reply to `query`, echoing its id, opcode, RD bit and question (with the asker's
 * letter case, which 0x20-randomising resolvers check), and cutting it to `max` bytes with the TC
 * bit when needed so a UDP answer never amplifies beyond 512 bytes.
 */
export function encodeReply(query: DecodedPacket, init: ReplyInit, max: number): Buffer {
  const flags =
    ((query.flags ?? 0) & (0x7800 | RD)) | RA | (init.authoritative ? AA : 0) | (init.rcode & 0xf);
  const packet: Packet = {
    type: "response",
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: init.answers ?? [],
    authorities: init.authorities ?? [],
    additionals: init.additionals ?? [],
  };
  const full = encode(packet);
  if (full.length <= max) return full;
  return truncate(packet, max);
}

function truncate(packet: Packet, max: number): Buffer {
  const base: Packet = {
    ...packet,
    flags: (packet.flags ?? 0) | TC,
    answers: [],
    authorities: [],
    additionals: [],
  };
  let size = encodingLength(base);
  const kept: Answer[] = [];
  // dns-packet never compresses names, so record sizes simply add up.
  for (const a of packet.answers ?? []) {
    const len = encodingLength({ answers: [a] }) - 12;
    if (size + len > max) break;
    size += len;
    kept.push(a);
  }
  if (size > max) return encode({ ...base, questions: [] });
  return encode({ ...base, answers: kept });
}

/**
 * A bare header reply for queries we could not decode: the id and opcode of the 12 bytes we did
 * read, so the asker can match it, and no question section.
 */
export function headerReply(raw: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(raw.readUInt16BE(0), 0);
  const flags = raw.readUInt16BE(2);
  out.writeUInt16BE(QR | (flags & (0x7800 | RD)) | RA | (rcode & 0xf), 2);
  return out;
}

/** True when the 12-byte header says this is a response (never answered: it would loop). */
export function isResponse(raw: Buffer): boolean {
  return (raw.readUInt16BE(2) & QR) !== 0;
}

/** The opcode of a raw message (0 = QUERY). */
export function opcodeOf(raw: Buffer): number {
  return (raw.readUInt16BE(2) >> 11) & 0xf;
}

/** A one-second A record: names follow health changes that fast, as Rancher's catalog DNS did. */
export function aRecord(name: string, ip: string, ttl: number): Answer {
  return { name, type: "A", class: "IN", ttl, data: ip };
}

/** The question's type as a plain string (dns-packet types omit ANY, which it still decodes). */
export function qtype(q: Question): string {
  return q.type as string;
}

/** Returns a shuffled copy (Fisher-Yates): every answer spreads load over the service's containers. */
export function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
