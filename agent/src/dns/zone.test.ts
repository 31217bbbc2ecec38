import { describe, expect, test } from "bun:test";
import { container, sampleState, service } from "../../testing/dns-state.ts";
import { DnsZone, type ZoneAnswer } from "./zone.ts";

const zone = new DnsZone(sampleState());
const ips = (a: ZoneAnswer) => (a.kind === "record" ? [...a.record.ips].sort() : a.kind);
const WEB1 = "127.0.0.2";
const APP1 = "127.0.0.3";
const SOLO = "127.0.0.4";
const HOST = "127.0.0.1";

describe("DnsZone", () => {
  test("service.stack.rancher.internal lists healthy running primaries only", () => {
    expect(ips(zone.lookup("db.mystack.rancher.internal", HOST))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("DB.MyStack.Rancher.Internal.", HOST))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("web.mystack.rancher.internal", HOST))).toEqual(["10.42.1.3", "127.0.0.2"]);
  });

  test("a service with no healthy container keeps exactly one unhealthy (the oldest)", () => {
    expect(ips(zone.lookup("cache.mystack.rancher.internal", HOST))).toEqual(["10.42.1.20"]);
  });

  test("bare service.stack and container names, bare and in the zone", () => {
    expect(ips(zone.lookup("db.other", HOST))).toEqual(["10.42.1.30"]);
    expect(ips(zone.lookup("mystack-db-1.rancher.internal", HOST))).toEqual(["10.42.1.10"]);
    expect(ips(zone.lookup("mystack-db-2", HOST))).toEqual(["10.42.1.11"]);
    expect(zone.lookup("mystack-db-4.rancher.internal", HOST).kind).toBe("nxdomain");
  });

  test("sidekicks: side.primary.stack and, from the service itself, side", () => {
    expect(ips(zone.lookup("logger.web.mystack.rancher.internal", HOST))).toEqual(["10.42.1.4"]);
    expect(ips(zone.lookup("logger.web", WEB1))).toEqual(["10.42.1.4"]);
    expect(ips(zone.lookup("logger", WEB1))).toEqual(["10.42.1.4"]);
    expect(zone.lookup("logger", HOST).kind).toBe("outside");
  });

  test("short names resolve in the asker's stack, through every search domain", () => {
    expect(ips(zone.lookup("db", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("db.web.mystack.rancher.internal", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("db.mystack.rancher.internal", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("db.rancher.internal", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("db", APP1))).toEqual(["10.42.1.10", "10.42.1.12"]); // its link wins
    expect(ips(zone.lookup("db.app.other.rancher.internal", APP1))).toEqual(["10.42.1.10", "10.42.1.12"]);
  });

  test("link aliases answer per client, as alias and alias.stack.rancher.internal", () => {
    expect(ips(zone.lookup("database", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("database.mystack.rancher.internal", WEB1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(zone.lookup("database.mystack.rancher.internal", APP1).kind).toBe("nxdomain");
    expect(zone.lookup("database.mystack.rancher.internal", HOST).kind).toBe("nxdomain");
    // The cross-stack link shadows other/db for app's containers only.
    expect(ips(zone.lookup("db.other.rancher.internal", APP1))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("db.other.rancher.internal", HOST))).toEqual(["10.42.1.30"]);
  });

  test("standalone container links name stack/service or a container", () => {
    expect(ips(zone.lookup("mydb", SOLO))).toEqual(["10.42.1.10", "10.42.1.12"]);
    expect(ips(zone.lookup("peer.rancher.internal", SOLO))).toEqual(["10.42.1.30"]);
  });

  test("external services: addresses, or a CNAME for a hostname", () => {
    expect(ips(zone.lookup("ext.mystack.rancher.internal", HOST))).toEqual(["192.0.2.1", "192.0.2.2"]);
    const host = zone.lookup("exthost.mystack.rancher.internal", HOST);
    expect(host.kind === "record" && host.record.cname).toBe("example.test");
  });

  test("alias services answer the union of their targets", () => {
    expect(ips(zone.lookup("alias.mystack.rancher.internal", HOST))).toEqual([
      "10.42.1.10",
      "10.42.1.12",
      "192.0.2.1",
      "192.0.2.2",
    ]);
    const h = zone.lookup("hostalias.mystack.rancher.internal", HOST);
    expect(h.kind === "record" && h.record.cname).toBe("example.test");
  });

  test("unknown names: NXDOMAIN inside the zone, outside otherwise; the apex is its own case", () => {
    expect(zone.lookup("nope.mystack.rancher.internal", WEB1).kind).toBe("nxdomain");
    expect(zone.lookup("example.com", WEB1).kind).toBe("outside");
    expect(zone.lookup("rancher.internal.", WEB1).kind).toBe("apex");
    expect(zone.lookup("xrancher.internal", WEB1).kind).toBe("outside");
  });

  test("alias cycles terminate", () => {
    const s = sampleState();
    s.services.push(
      { ...s.services[5]!, id: "1s20", name: "loop1", links: [{ serviceId: "1s21", alias: "b" }] },
      { ...s.services[5]!, id: "1s21", name: "loop2", links: [{ serviceId: "1s20", alias: "a" }] },
    );
    const z = new DnsZone(s);
    expect(ips(z.lookup("loop1.mystack.rancher.internal", HOST))).toEqual([]);
  });
});

describe("service names with capitals (Cattle allowed them)", () => {
  // A stack deployed from compose keeps `MyApp` and `Redis-Cache` as written; DNS is
  // case-insensitive, so every spelling of the name answers the same addresses.
  const state = sampleState(1, {
    services: [
      service({ id: "1s90", name: "MyApp", stackName: "Shop", sidekicks: ["Logger"], links: [] }),
      service({ id: "1s91", name: "Redis-Cache", stackName: "Shop" }),
    ],
    containers: [
      container({
        id: "1i90",
        name: "Shop-MyApp-1",
        ip: "127.0.0.9",
        serviceId: "1s90",
        serviceName: "MyApp",
        stackName: "Shop",
        launchConfigName: "",
      }),
      container({
        id: "1i91",
        name: "Shop-MyApp-Logger-1",
        ip: "10.42.1.91",
        serviceId: "1s90",
        serviceName: "MyApp",
        stackName: "Shop",
        launchConfigName: "Logger",
      }),
      container({
        id: "1i92",
        name: "Shop-Redis-Cache-1",
        ip: "10.42.1.92",
        serviceId: "1s91",
        serviceName: "Redis-Cache",
        stackName: "Shop",
        launchConfigName: "",
      }),
    ],
  });
  const caps = new DnsZone(state);

  test("service.stack in any case, short names from the stack, sidekicks and container names", () => {
    for (const name of ["myapp.shop.rancher.internal", "MyApp.Shop.rancher.internal", "MYAPP.SHOP"])
      expect(ips(caps.lookup(name, HOST))).toEqual(["127.0.0.9"]);
    expect(ips(caps.lookup("redis-cache", "127.0.0.9"))).toEqual(["10.42.1.92"]);
    expect(ips(caps.lookup("Redis-Cache.shop.rancher.internal", "127.0.0.9"))).toEqual(["10.42.1.92"]);
    expect(ips(caps.lookup("logger.myapp.shop.rancher.internal", HOST))).toEqual(["10.42.1.91"]);
    expect(ips(caps.lookup("Logger", "127.0.0.9"))).toEqual(["10.42.1.91"]);
    expect(ips(caps.lookup("shop-redis-cache-1.rancher.internal", HOST))).toEqual(["10.42.1.92"]);
  });
});
