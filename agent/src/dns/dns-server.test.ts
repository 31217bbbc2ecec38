import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { addresses, ask, type FakeUpstream, startFakeUpstream } from "../../testing/dns-client.ts";
import { container, sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { type DnsServer, startDnsServer } from "./server.ts";

const logger = createLogger("dns-test");
let bus: HostStateBus;
let dns: DnsServer;
let up: FakeUpstream;
let version = 1;

/** Publishes the sample state with `change` applied, as the next version. */
function publish(change: (s: ReturnType<typeof sampleState>) => void = () => {}) {
  const s = sampleState(++version, { upstreamDns: [`127.0.0.1:${up.port}`] });
  change(s);
  bus.publish(s);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  up.records.set("example.test", { ips: ["198.51.100.7"], ttl: 300 });
  bus = new HostStateBus();
  dns = await startDnsServer({ bus, logger, address: "127.0.0.1", port: 0, allowedSources: ["127.0.0.1"] });
  publish();
});

afterAll(async () => {
  await dns.stop();
  await up.stop();
});

describe("zone answers over UDP and TCP", () => {
  test("service.stack.rancher.internal: authoritative A records, TTL 1, asker's letter case", async () => {
    for (const tcp of [false, true]) {
      const r = await ask(dns.port, "DB.mystack.Rancher.Internal", "A", { tcp });
      expect(r.rcode).toBe("NOERROR");
      expect(r.flag_aa).toBe(true);
      expect(addresses(r)).toEqual(["10.42.1.10", "10.42.1.12"]);
      expect(
        r.answers?.every((a) => "ttl" in a && a.ttl === 1 && a.name === "DB.mystack.Rancher.Internal"),
      ).toBe(true);
    }
  });

  test("search-domain forms, bare names, containers and sidekicks", async () => {
    const web1 = { source: "127.0.0.2" };
    expect(addresses(await ask(dns.port, "db.web.mystack.rancher.internal", "A", web1))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
    ]);
    expect(addresses(await ask(dns.port, "db", "A", web1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(addresses(await ask(dns.port, "db.other"))).toEqual(["10.42.1.30"]);
    expect(addresses(await ask(dns.port, "mystack-db-1.rancher.internal"))).toEqual(["10.42.1.10"]);
    expect(addresses(await ask(dns.port, "mystack-db-1"))).toEqual(["10.42.1.10"]);
    expect(addresses(await ask(dns.port, "logger.web.mystack.rancher.internal"))).toEqual(["10.42.1.4"]);
    expect(addresses(await ask(dns.port, "logger.web", "A", web1))).toEqual(["10.42.1.4"]);
  });

  test("link aliases depend on who asks", async () => {
    const name = "database.mystack.rancher.internal";
    expect(addresses(await ask(dns.port, name, "A", { source: "127.0.0.2" }))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
    ]);
    expect(addresses(await ask(dns.port, "database", "A", { source: "127.0.0.2", tcp: true }))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
    ]);
    expect((await ask(dns.port, name, "A", { source: "127.0.0.3" })).rcode).toBe("NXDOMAIN");
    expect(addresses(await ask(dns.port, "db.other.rancher.internal", "A", { source: "127.0.0.3" }))).toEqual(
      ["10.42.1.10", "10.42.1.12"],
    );
    expect(addresses(await ask(dns.port, "db.other.rancher.internal"))).toEqual(["10.42.1.30"]);
    expect(addresses(await ask(dns.port, "mydb", "A", { source: "127.0.0.4" }))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
    ]);
  });

  test("answers are shuffled on every reply", async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await ask(dns.port, "alias.mystack.rancher.internal");
      orders.add((r.answers ?? []).map((a) => ("data" in a ? String(a.data) : "")).join(","));
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  test("unknown names in the zone: NXDOMAIN with the zone's SOA", async () => {
    const r = await ask(dns.port, "nope.mystack.rancher.internal");
    expect(r.rcode).toBe("NXDOMAIN");
    expect(r.flag_aa).toBe(true);
    expect(r.authorities?.[0]?.type).toBe("SOA");
    expect(r.authorities?.[0]?.name).toBe("rancher.internal");
  });

  test("AAAA and other types for a known name: empty NOERROR; ANY: NOTIMP; apex SOA", async () => {
    for (const type of ["AAAA", "MX", "TXT"]) {
      const r = await ask(dns.port, "db.mystack.rancher.internal", type);
      expect(r.rcode).toBe("NOERROR");
      expect(r.answers).toEqual([]);
    }
    expect((await ask(dns.port, "db.mystack.rancher.internal", "ANY")).rcode).toBe("NOTIMP");
    expect((await ask(dns.port, "example.test", "ANY")).rcode).toBe("NOTIMP");
    const soa = await ask(dns.port, "rancher.internal", "SOA");
    expect(soa.answers?.[0]?.type).toBe("SOA");
  });

  test("external services: addresses, or a CNAME chased upstream for A", async () => {
    expect(addresses(await ask(dns.port, "ext.mystack.rancher.internal"))).toEqual([
      "192.0.2.1",
      "192.0.2.2",
    ]);
    const r = await ask(dns.port, "exthost.mystack.rancher.internal");
    expect(r.answers?.[0]).toMatchObject({ type: "CNAME", data: "example.test" });
    expect(addresses(r)).toEqual(["198.51.100.7"]);
    const c = await ask(dns.port, "hostalias.mystack.rancher.internal", "CNAME");
    expect(c.answers?.map((a) => a.type)).toEqual(["CNAME"]);
  });

  test("a big service is cut to 512 bytes with TC over UDP and whole over TCP", async () => {
    publish((s) => {
      for (let i = 0; i < 60; i++)
        s.containers.push(
          container({
            id: `9i${i}`,
            name: `big-${i}`,
            ip: `10.42.3.${i + 1}`,
            serviceId: "1s2",
            serviceName: "db",
            stackName: "mystack",
            launchConfigName: "",
          }),
        );
    });
    const udp = await ask(dns.port, "db.mystack.rancher.internal");
    expect(udp.flag_tc).toBe(true);
    expect((udp.answers ?? []).length).toBeLessThan(62);
    const tcp = await ask(dns.port, "db.mystack.rancher.internal", "A", { tcp: true });
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers?.length).toBe(62);
    publish();
  });
});

describe("records follow the host state at once", () => {
  test("unhealthy and removed containers drop out on the next query", async () => {
    publish((s) => {
      s.containers.find((c) => c.name === "mystack-db-1")!.healthState = "unhealthy";
    });
    expect(addresses(await ask(dns.port, "db.mystack.rancher.internal"))).toEqual(["10.42.1.12"]);
    publish((s) => {
      s.containers = s.containers.filter((c) => c.name !== "mystack-db-3" && c.name !== "mystack-db-1");
    });
    // Only the unhealthy db-2 is left: it is kept rather than leaving the name empty.
    expect(addresses(await ask(dns.port, "db.mystack.rancher.internal"))).toEqual(["10.42.1.11"]);
    publish((s) => {
      s.containers = s.containers.filter((c) => c.serviceId !== "1s2");
    });
    const r = await ask(dns.port, "db.mystack.rancher.internal");
    expect(r.rcode).toBe("NOERROR");
    expect(r.answers).toEqual([]);
    publish();
    expect(addresses(await ask(dns.port, "db.mystack.rancher.internal"))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
    ]);
  });
});

describe("who may ask", () => {
  test("a source outside loopback-allowed, the managed network and our containers is REFUSED", async () => {
    expect((await ask(dns.port, "db.mystack.rancher.internal", "A", { source: "127.0.0.9" })).rcode).toBe(
      "REFUSED",
    );
    expect((await ask(dns.port, "example.test", "A", { source: "127.0.0.9", tcp: true })).rcode).toBe(
      "REFUSED",
    );
    expect((await ask(dns.port, "example.test", "A", { source: "127.0.0.2" })).rcode).toBe("NOERROR");
  });
});

describe("before the first host state", () => {
  test("zone names fail softly (SERVFAIL), nothing crashes", async () => {
    const empty = await startDnsServer({
      bus: new HostStateBus(),
      logger,
      address: "127.0.0.1",
      port: 0,
      resolvConfPath: "/nonexistent",
    });
    try {
      expect((await ask(empty.port, "db.mystack.rancher.internal")).rcode).toBe("SERVFAIL");
    } finally {
      await empty.stop();
    }
  });
});
