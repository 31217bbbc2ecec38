import { expect, test } from "bun:test";
import { assignable, firstFree, gatewayOf, inSubnet, ipToInt, sliceAt, sliceCount } from "./addresses.ts";
import { managedResolver } from "./dns-config.ts";

test("slices of 10.42.0.0/16 are /24s with .1 as gateway", () => {
  expect(sliceCount("10.42.0.0/16")).toBe(256);
  expect(sliceAt("10.42.0.0/16", 3)).toBe("10.42.3.0/24");
  expect(gatewayOf("10.42.3.0/24")).toBe("10.42.3.1");
  expect(inSubnet("10.42.3.77", "10.42.3.0/24")).toBe(true);
  expect(inSubnet("10.42.4.77", "10.42.3.0/24")).toBe(false);
  expect(ipToInt("10.42.300.1")).toBeNull();
});

test("the first free address skips .0, .1 and .255", () => {
  expect(firstFree("10.42.3.0/24", new Set())).toBe("10.42.3.2");
  expect(firstFree("10.42.3.0/24", new Set(["10.42.3.2", "10.42.3.3"]))).toBe("10.42.3.4");
  const all = new Set(Array.from({ length: 253 }, (_, i) => `10.42.3.${i + 2}`));
  expect(firstFree("10.42.3.0/24", all)).toBeNull();
  for (const ip of ["10.42.3.0", "10.42.3.1", "10.42.3.255", "10.42.4.2", "nope"])
    expect(assignable(ip, "10.42.3.0/24")).toBe(false);
  expect(assignable("10.42.3.254", "10.42.3.0/24")).toBe(true);
});

test("managed containers resolve through 169.254.169.250 with the rancher.internal search domains", () => {
  const labels = { "io.rancher.stack_service.name": "shop/web" };
  expect(managedResolver(labels, { dns: ["8.8.8.8"], dnsSearch: ["corp.example"] })).toEqual({
    dns: ["169.254.169.250"],
    dnsSearch: ["web.shop.rancher.internal", "shop.rancher.internal", "rancher.internal", "corp.example"],
  });
  const last = { ...labels, "io.rancher.container.dns.priority": "service_last" };
  expect(managedResolver(last, { dnsSearch: ["corp.example"] }).dnsSearch).toEqual([
    "corp.example",
    "web.shop.rancher.internal",
    "shop.rancher.internal",
    "rancher.internal",
  ]);
  const none = { ...labels, "io.rancher.container.dns.priority": "None" };
  expect(managedResolver(none, { dns: ["8.8.8.8"] })).toEqual({ dns: ["8.8.8.8"], dnsSearch: undefined });
  expect(managedResolver({}, {}).dnsSearch).toEqual(["rancher.internal"]);
});
