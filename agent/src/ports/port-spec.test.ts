import { describe, expect, test } from "bun:test";
import { parsePortSpec } from "./port-spec.ts";

describe("parsePortSpec", () => {
  test("reads every form Rancher writes", () => {
    expect(parsePortSpec("8080:80/tcp")).toEqual({ publicPort: 8080, privatePort: 80, protocol: "tcp" });
    expect(parsePortSpec("53/udp")).toEqual({ publicPort: 0, privatePort: 53, protocol: "udp" });
    expect(parsePortSpec("0:80")).toEqual({ publicPort: 0, privatePort: 80, protocol: "tcp" });
    expect(parsePortSpec("127.0.0.1:8080:80/TCP")).toEqual({
      bindIp: "127.0.0.1",
      publicPort: 8080,
      privatePort: 80,
      protocol: "tcp",
    });
    expect(parsePortSpec("10.0.0.1::80/udp")).toEqual({
      bindIp: "10.0.0.1",
      publicPort: 0,
      privatePort: 80,
      protocol: "udp",
    });
    expect(parsePortSpec("0.0.0.0:81:80")).toEqual({ publicPort: 81, privatePort: 80, protocol: "tcp" });
  });

  test("refuses garbage", () => {
    for (const bad of [
      "",
      "x",
      "80/sctp",
      "1:2:3:4",
      "host:80:80",
      "70000:80",
      "80:0",
      "8000-8010:80",
      "/tcp",
    ])
      expect(parsePortSpec(bad)).toBeNull();
  });
});
