import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { type Answer, encode } from "dns-packet";
import { addresses, ask, askRaw, type FakeUpstream, startFakeUpstream } from "../../testing/dns-client.ts";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { AnswerCache } from "./cache.ts";
import { type DnsServer, startDnsServer } from "./server.ts";

const logger = createLogger("dns-test");
let dns: DnsServer;
let up: FakeUpstream;
let own: FakeUpstream;
const bus = new HostStateBus();

beforeAll(async () => {
  up = await startFakeUpstream();
  own = await startFakeUpstream();
  up.records.set("example.test", { ips: ["198.51.100.7"], ttl: 300 });
  up.records.set("short.test", { ips: ["198.51.100.8"], ttl: 1 });
  up.records.set("big.test", { ips: Array.from({ length: 50 }, (_, i) => `203.0.113.${i}`), ttl: 60 });
  up.records.set("dup.test", { ips: ["198.51.100.9"], ttl: 60 });
  own.records.set("private.corp", { ips: ["10.9.9.9"], ttl: 60 });
  up.silent.add("slow.test");
  dns = await startDnsServer({ bus, logger, address: "127.0.0.1", port: 0, upstreamTimeoutMs: 300 });
  const s = sampleState(1);
  // Our own address comes first, as it would in a container's resolv.conf: it must be skipped.
  s.upstreamDns = [`127.0.0.1:${dns.port}`, `127.0.0.1:${up.port}`];
  s.containers.find((c) => c.name === "solo")!.dns = ["169.254.169.250", `127.0.0.1:${own.port}`];
  bus.publish(s);
});

afterAll(async () => {
  await dns.stop();
  await up.stop();
  await own.stop();
});

const count = (u: FakeUpstream, q: string) => u.questions.filter((x) => x === q).length;

describe("recursion", () => {
  test("outside names go upstream and are cached", async () => {
    expect(addresses(await ask(dns.port, "example.test"))).toEqual(["198.51.100.7"]);
    const again = await ask(dns.port, "Example.Test", "A", { tcp: true });
    expect(addresses(again)).toEqual(["198.51.100.7"]);
    expect(again.flag_ra).toBe(true);
    expect(count(up, "example.test/A")).toBe(1);
  });

  test("cached entries expire with their TTL", async () => {
    await ask(dns.port, "short.test");
    await ask(dns.port, "short.test");
    expect(count(up, "short.test/A")).toBe(1);
    await Bun.sleep(1100);
    expect(addresses(await ask(dns.port, "short.test"))).toEqual(["198.51.100.8"]);
    expect(count(up, "short.test/A")).toBe(2);
  });

  test("NXDOMAIN passes through and is cached by its SOA", async () => {
    const r = await ask(dns.port, "missing.test");
    expect(r.rcode).toBe("NXDOMAIN");
    await ask(dns.port, "missing.test");
    expect(count(up, "missing.test/A")).toBe(1);
  });

  test("an upstream that does not answer gives SERVFAIL after the timeout", async () => {
    const started = Date.now();
    const r = await ask(dns.port, "slow.test");
    expect(r.rcode).toBe("SERVFAIL");
    expect(Date.now() - started).toBeLessThan(1500);
    // Our own address was skipped: we did not ask ourselves and loop.
    expect(count(up, "slow.test/A")).toBe(1);
  });

  test("a truncated upstream answer is fetched again over TCP", async () => {
    const r = await ask(dns.port, "big.test", "A", { tcp: true });
    expect(r.answers?.length).toBe(50);
    const udp = await askRaw(dns.port, encode({ id: 1, questions: [{ name: "big.test", type: "A" }] }));
    expect(udp!.length).toBeLessThanOrEqual(512);
  });

  test("the asking container's own dns servers come first", async () => {
    const r = await ask(dns.port, "private.corp", "A", { source: "127.0.0.4" });
    expect(addresses(r)).toEqual(["10.9.9.9"]);
    expect(count(up, "private.corp/A")).toBe(0);
    // Another client does not use solo's servers.
    expect((await ask(dns.port, "private.corp")).rcode).toBe("NXDOMAIN");
  });

  test("identical questions in flight cost one upstream query", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => ask(dns.port, "dup.test")));
    expect(replies.every((r) => addresses(r)[0] === "198.51.100.9")).toBe(true);
    expect(count(up, "dup.test/A")).toBe(1);
  });
});

describe("AnswerCache", () => {
  const a = (name: string, ttl: number): Answer => ({ name, type: "A", ttl, data: "192.0.2.1" });
  const entry = (ttl: number) => ({
    rcode: 0,
    flags: 0,
    answers: [a("x", ttl)],
    authorities: [],
    additionals: [],
  });

  test("keeps at most its capacity, dropping the least recently used", () => {
    const c = new AnswerCache(3);
    for (const k of ["a", "b", "c"]) c.set(k, entry(60));
    c.get("a");
    c.set("d", entry(60));
    expect(c.size).toBe(3);
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBeDefined();
  });

  test("hands TTLs back aged, and forgets expired entries", () => {
    let now = 0;
    const c = new AnswerCache(10, () => now);
    c.set("k", entry(10));
    now = 4000;
    expect((c.get("k")!.answers[0] as { ttl: number }).ttl).toBe(6);
    now = 10_000;
    expect(c.get("k")).toBeUndefined();
  });

  test("does not keep failures or zero TTLs", () => {
    const c = new AnswerCache(10);
    c.set("z", entry(0));
    c.set("f", { ...entry(60), rcode: 2 });
    expect(c.size).toBe(0);
  });
});
