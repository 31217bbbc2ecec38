import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@corral/lib";
import { addresses, ask, startFakeUpstream } from "../../testing/dns-client.ts";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { normalizeIp, parseEndpoint, parseResolvConf, SourceFilter } from "./net-util.ts";
import { startDnsServer } from "./server.ts";

describe("address helpers", () => {
  test("SourceFilter matches CIDRs and exact addresses", () => {
    const f = new SourceFilter(["127.0.0.0/8", "10.42.0.0/16", "192.0.2.7", "::1", "garbage/99"]);
    expect(f.allows("127.1.2.3")).toBe(true);
    expect(f.allows("10.42.255.1")).toBe(true);
    expect(f.allows("10.43.0.1")).toBe(false);
    expect(f.allows("192.0.2.7")).toBe(true);
    expect(f.allows("192.0.2.8")).toBe(false);
    expect(f.allows("::1")).toBe(true);
    expect(f.allows("fe80::1")).toBe(false);
    expect(new SourceFilter(["0.0.0.0/0"]).allows("203.0.113.5")).toBe(true);
  });

  test("parseEndpoint reads v4, v4:port, v6 and [v6]:port", () => {
    expect(parseEndpoint("8.8.8.8")).toEqual({ host: "8.8.8.8", port: 53 });
    expect(parseEndpoint("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseEndpoint("::1")).toEqual({ host: "::1", port: 53 });
    expect(parseEndpoint("[2001:db8::1]:54")).toEqual({ host: "2001:db8::1", port: 54 });
    expect(parseEndpoint("dns.example")).toBeNull();
    expect(parseEndpoint("1.2.3.4:0")).toBeNull();
  });

  test("parseResolvConf and normalizeIp", () => {
    expect(
      parseResolvConf("# c\nsearch a\nnameserver 10.0.0.2\n  nameserver   ::1 \noptions ndots:5\n"),
    ).toEqual(["10.0.0.2", "::1"]);
    expect(normalizeIp("::ffff:10.42.1.5")).toBe("10.42.1.5");
    expect(normalizeIp("::1")).toBe("::1");
  });
});

describe("host resolvers", () => {
  test("without upstreamDns the host's resolv.conf nameservers are used", async () => {
    const up = await startFakeUpstream();
    up.records.set("viaresolv.test", { ips: ["198.51.100.20"], ttl: 60 });
    const dir = await mkdtemp(join(tmpdir(), "corral-dns-"));
    const path = join(dir, "resolv.conf");
    await writeFile(path, `nameserver 127.0.0.1:${up.port}\n`);
    const bus = new HostStateBus();
    bus.publish(sampleState(1));
    const dns = await startDnsServer({
      bus,
      logger: createLogger("t"),
      address: "127.0.0.1",
      port: 0,
      resolvConfPath: path,
    });
    try {
      expect(addresses(await ask(dns.port, "viaresolv.test"))).toEqual(["198.51.100.20"]);
    } finally {
      await dns.stop();
      await up.stop();
    }
  });
});
