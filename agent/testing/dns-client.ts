import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import {
  type Answer,
  type DecodedPacket,
  decode,
  encode,
  type Packet,
  type RecordType,
  streamEncode,
} from "dns-packet";

/**
 * Test helpers: a DNS client that can ask from a chosen 127.0.0.x source address, over UDP or TCP,
 * and a tiny fake upstream resolver (UDP and TCP) whose answers and silence the test controls.
 */

/** Options of `ask`. */
export interface AskOptions {
  source?: string;
  tcp?: boolean;
  timeoutMs?: number;
}

/** Sends `packet` (or raw bytes) and returns the decoded reply, or null on timeout. */
export function askRaw(port: number, msg: Buffer, opts: AskOptions = {}): Promise<Buffer | null> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  if (opts.tcp) {
    return new Promise((resolve) => {
      const sock = connect({ host: "127.0.0.1", port, localAddress: opts.source });
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (b: Buffer | null) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(b);
      };
      sock.on("connect", () => {
        const frame = Buffer.alloc(msg.length + 2);
        frame.writeUInt16BE(msg.length, 0);
        msg.copy(frame, 2);
        sock.write(frame);
      });
      sock.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2)
          finish(buf.subarray(2, buf.readUInt16BE(0) + 2));
      });
      sock.on("error", () => finish(null));
      sock.on("close", () => finish(null));
    });
  }
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (b: Buffer | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(b);
    };
    sock.on("message", (m) => finish(m));
    sock.on("error", () => finish(null));
    sock.bind({ address: opts.source ?? "127.0.0.1", port: 0 }, () => sock.send(msg, port, "127.0.0.1"));
  });
}

/** Asks `name`/`type` and decodes the reply (throws on timeout). */
export async function ask(
  port: number,
  name: string,
  type: string = "A",
  opts: AskOptions = {},
): Promise<DecodedPacket & { rcode: string }> {
  const id = Math.floor(Math.random() * 65536);
  const msg = encode({ type: "query", id, flags: 0x100, questions: [{ name, type: type as RecordType }] });
  const reply = await askRaw(port, msg, opts);
  if (!reply) throw new Error(`no reply for ${name}`);
  const p = decode(reply) as DecodedPacket & { rcode: string };
  if (p.id !== id) throw new Error("id mismatch");
  return p;
}

/** The A addresses of a reply, sorted. */
export function addresses(p: DecodedPacket): string[] {
  return (p.answers ?? []).flatMap((a) => (a.type === "A" ? [a.data] : [])).sort();
}

/** A fake upstream: answers from `records`, stays silent for names in `silent`, counts questions. */
export interface FakeUpstream {
  port: number;
  records: Map<string, { ips: string[]; ttl: number }>;
  silent: Set<string>;
  questions: string[];
  stop(): Promise<void>;
}

function replyFor(up: FakeUpstream, q: DecodedPacket, maxUdp: number | null): Buffer | null {
  const question = q.questions?.[0];
  if (!question) return null;
  const name = question.name.toLowerCase();
  up.questions.push(`${name}/${question.type}`);
  if (up.silent.has(name)) return null;
  const rec = up.records.get(name);
  const answers: Answer[] =
    rec && question.type === "A"
      ? rec.ips.map((ip) => ({ name: question.name, type: "A", ttl: rec.ttl, data: ip }))
      : [];
  const soa: Answer = {
    name: "test",
    type: "SOA",
    ttl: 30,
    data: { mname: "ns.test", rname: "h.test", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 },
  };
  const packet: Packet = {
    type: "response",
    id: q.id,
    flags: 0x0180 | (rec ? 0 : 3),
    questions: q.questions,
    answers,
    authorities: rec ? [] : [soa],
  };
  const out = encode(packet);
  if (maxUdp !== null && out.length > maxUdp)
    return encode({ ...packet, flags: 0x0180 | 0x200, answers: [] });
  return out;
}

/** Starts the fake upstream on 127.0.0.1 (UDP and TCP on one port). */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const udp = createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const port = udp.address().port;
  const up: FakeUpstream = {
    port,
    records: new Map(),
    silent: new Set(),
    questions: [],
    stop: async () => {},
  };
  udp.on("message", (m, rinfo) => {
    const out = replyFor(up, decode(m), 512);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  const tcp = createServer((sock) => {
    sock.on("data", (c: Buffer) => {
      const out = replyFor(up, decode(c.subarray(2)), null);
      if (out) sock.write(streamEncode(decode(out)));
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => tcp.listen(port, "127.0.0.1", () => r()));
  up.stop = async () => {
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
  };
  return up;
}
