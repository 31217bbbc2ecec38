import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { createLogger } from "@corral/lib";
import { decode, encode } from "dns-packet";
import { addresses, ask, askRaw } from "../../testing/dns-client.ts";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { type DnsServer, startDnsServer } from "./server.ts";
import { TCP_MAX } from "./wire.ts";

const logger = createLogger("dns-fuzz");
let dns: DnsServer;

beforeAll(async () => {
  const bus = new HostStateBus();
  // No upstream reachable: recursion answers SERVFAIL quickly instead of waiting on the network.
  bus.publish(sampleState(1, { upstreamDns: ["127.0.0.1:9"] }));
  dns = await startDnsServer({
    bus,
    logger,
    address: "127.0.0.1",
    port: 0,
    upstreamTimeoutMs: 100,
    tcpIdleTimeoutMs: 300,
  });
});

afterAll(() => dns.stop());

const random = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
const valid = () =>
  encode({
    type: "query",
    id: 7,
    flags: 0x100,
    questions: [{ name: "db.mystack.rancher.internal", type: "A" }],
  });

async function stillAnswers() {
  expect(addresses(await ask(dns.port, "db.mystack.rancher.internal"))).toEqual(["10.42.1.10", "10.42.1.12"]);
  expect(addresses(await ask(dns.port, "db.mystack.rancher.internal", "A", { tcp: true }))).toEqual([
    "10.42.1.10",
    "10.42.1.12",
  ]);
}

/** A header with the given counts followed by `body`. */
function withHeader(body: number[], qd = 1, id = 0x4242): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(qd, 4);
  return Buffer.concat([h, Buffer.from(body)]);
}

describe("malformed input", () => {
  test("the responder survives 20,000 random and mutated messages without throwing", async () => {
    // In batches: mutated names often fall outside the zone and wait for the (dead) upstream.
    for (let batch = 0; batch < 20; batch++) {
      const jobs: Promise<Buffer | null>[] = [];
      for (let i = 0; i < 1000; i++) {
        const msg = i % 2 ? random(Math.floor(Math.random() * 300)) : valid();
        if (i % 2 === 0)
          for (let k = 0; k < 3; k++)
            msg[Math.floor(Math.random() * msg.length)] = Math.floor(Math.random() * 256);
        jobs.push(Promise.resolve(dns.responder.handle(msg, "127.0.0.1", 512)));
      }
      for (const reply of await Promise.all(jobs)) if (reply) expect(reply.length).toBeLessThanOrEqual(512);
    }
  }, 30_000);

  test("crafted packets get FORMERR (or silence), never a crash", async () => {
    const cases: Buffer[] = [
      withHeader([0xc0, 0x0c, 0, 1, 0, 1]), // pointer to itself
      withHeader([0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]), // two pointers to each other
      withHeader([], 65535), // 65,535 questions announced, none present
      withHeader([...Array.from({ length: 400 }, (_, i) => (i % 2 ? 97 : 1)), 0, 0, 1, 0, 1]), // 200 labels
      withHeader([63, ...Array.from(random(10))]), // label longer than the packet
      withHeader([0x80, 0, 0, 1, 0, 1]), // reserved label type
      Buffer.concat([valid(), valid()]).fill(0xff, 4, 6), // question count lies
    ];
    for (const c of cases) {
      const reply = await askRaw(dns.port, c, { timeoutMs: 500 });
      expect(reply).not.toBeNull();
      const flags = reply!.readUInt16BE(2);
      expect(reply!.readUInt16BE(0)).toBe(c.readUInt16BE(0));
      expect(flags & 0x8000).toBe(0x8000);
      expect(flags & 0xf).toBe(1);
    }
    // Shorter than a header, or itself a response: silence (answering responses could loop).
    expect(await askRaw(dns.port, random(5), { timeoutMs: 200 })).toBeNull();
    const response = valid();
    response[2]! |= 0x80;
    expect(await askRaw(dns.port, response, { timeoutMs: 200 })).toBeNull();
    await stillAnswers();
  });

  test("thousands of random UDP packets, then a valid query still works", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    for (let i = 0; i < 5000; i++) {
      sock.send(random(Math.floor(Math.random() * 700)), dns.port, "127.0.0.1");
      if (i % 200 === 0) await Bun.sleep(1);
    }
    await Bun.sleep(100);
    sock.close();
    await stillAnswers();
  });

  test("truncated, oversized and idle TCP frames only cost their own connection", async () => {
    const closed = (payload: Buffer, waitMs: number) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const s = connect({ host: "127.0.0.1", port: dns.port }, () => s.write(payload));
        s.on("close", () => resolve(Date.now() - started));
        s.on("error", () => {});
        setTimeout(() => {
          s.destroy();
          resolve(-1);
        }, waitMs);
      });
    // Announces 100 bytes, sends 10, then goes quiet: closed by the idle timeout.
    const truncated = Buffer.concat([Buffer.from([0, 100]), random(10)]);
    const t = await closed(truncated, 3000);
    expect(t).toBeGreaterThan(200);
    // A 60,000-byte "query" is no query: closed at once.
    expect(await closed(Buffer.from([0xea, 0x60]), 3000)).toBeLessThan(200);
    // A frame too short for a header: closed.
    expect(await closed(Buffer.from([0, 3, 1, 2, 3]), 3000)).toBeLessThan(200);
    await stillAnswers();
  });

  test("several queries on one TCP connection, split across writes", async () => {
    const frames = Buffer.concat(
      [1, 2, 3].map((id) => {
        const q = encode({
          type: "query",
          id,
          questions: [{ name: "web.mystack.rancher.internal", type: "A" }],
        });
        const f = Buffer.alloc(q.length + 2);
        f.writeUInt16BE(q.length, 0);
        q.copy(f, 2);
        return f;
      }),
    );
    const ids = await new Promise<number[]>((resolve, reject) => {
      const got: number[] = [];
      let buf = Buffer.alloc(0);
      const s = connect({ host: "127.0.0.1", port: dns.port }, async () => {
        for (let i = 0; i < frames.length; i += 7) {
          s.write(frames.subarray(i, i + 7));
          await Bun.sleep(1);
        }
      });
      s.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
          const len = buf.readUInt16BE(0);
          got.push(decode(buf.subarray(2, len + 2)).id ?? -1);
          buf = buf.subarray(len + 2);
        }
        if (got.length === 3) {
          s.destroy();
          resolve(got.sort());
        }
      });
      s.on("error", reject);
    });
    expect(ids).toEqual([1, 2, 3]);
    expect(TCP_MAX).toBe(65535);
  });
});
