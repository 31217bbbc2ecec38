import { expect, test } from "bun:test";
import type { IpsecReport } from "@corral/api";
import type { Row } from "../store/rows.ts";
import { meshHealth } from "./ipsec-health.ts";
import { newPsk } from "./ipsec-keys.ts";
import { ipsecViewFor } from "./ipsec-state.ts";

const host = (id: number, ip: string, subnet: string | undefined, state = "active") =>
  ({
    id,
    type: "host",
    projectId: "1a1",
    name: `h${id}`,
    state,
    created: 0,
    updated: 0,
    removed: null,
    lookup: null,
    data: { agentIpAddress: ip, hostSubnet: subnet, agentState: "active", hostname: `h${id}`, labels: {} },
  }) as unknown as Row<never>;

const keys = { psk: newPsk(), previousPsk: "b2xk", rotatedAt: 0 };

test("a host's peers are the other hosts with a slice and an address", () => {
  const hosts = [
    host(1, "192.168.0.2", "10.42.0.0/24"),
    host(2, "192.168.0.3", "10.42.1.0/24"),
    host(3, "192.168.0.4", undefined),
  ];
  const view = ipsecViewFor(hosts, "1h1", keys)!;
  expect(view.localIp).toBe("192.168.0.2");
  expect(view.peers).toEqual([{ hostId: "1h2", agentIp: "192.168.0.3", subnet: "10.42.1.0/24" }]);
  expect(view.psk).toBe(keys.psk);
  expect(view.previousPsk).toBe("b2xk");
});

test("no view without a slice, an address or keys", () => {
  const hosts = [host(1, "192.168.0.2", undefined), host(2, "192.168.0.3", "10.42.1.0/24")];
  expect(ipsecViewFor(hosts, "1h1", keys)).toBeNull();
  expect(ipsecViewFor(hosts, "1h2", null)).toBeNull();
  expect(ipsecViewFor([host(2, "", "10.42.1.0/24")], "1h2", keys)).toBeNull();
});

test("two hosts behind one address are one peer", () => {
  const hosts = [
    host(1, "192.168.0.2", "10.42.0.0/24"),
    host(2, "192.168.0.3", "10.42.1.0/24"),
    host(3, "192.168.0.3", "10.42.2.0/24"),
  ];
  expect(ipsecViewFor(hosts, "1h1", keys)!.peers.map((p) => p.hostId)).toEqual(["1h2"]);
});

test("keys are long and random", () => {
  const a = newPsk();
  expect(Buffer.from(a, "base64").length).toBeGreaterThanOrEqual(32);
  expect(newPsk()).not.toBe(a);
});

const report = (...up: Array<[string, "up" | "down" | "connecting"]>): IpsecReport => ({
  dataPlane: "userspace",
  peers: up.map(([hostId, state]) => ({ hostId, agentIp: "x", state, bytesIn: 0, bytesOut: 0 })),
});

test("mesh health: every active pair up is healthy, some degraded, none unhealthy", () => {
  const all = [
    { id: "1h1", active: true, report: report(["1h2", "up"], ["1h3", "up"]) },
    { id: "1h2", active: true, report: report(["1h1", "up"], ["1h3", "up"]) },
    { id: "1h3", active: true, report: report(["1h1", "up"], ["1h2", "up"]) },
  ];
  expect(meshHealth(all)).toBe("healthy");
  expect(
    meshHealth([
      ...all.slice(0, 2),
      { id: "1h3", active: true, report: report(["1h1", "down"], ["1h2", "down"]) },
    ]),
  ).toBe("degraded");
  expect(meshHealth(all.map((h) => ({ ...h, report: undefined })))).toBe("unhealthy");
  // A disconnected host is not expected to have tunnels; one host alone needs none.
  expect(
    meshHealth([
      ...all.slice(0, 2).map((h) => ({ ...h, report: report(["1h1", "up"], ["1h2", "up"]) })),
      { id: "1h3", active: false, report: undefined },
    ]),
  ).toBe("healthy");
  expect(meshHealth([{ id: "1h1", active: true, report: undefined }])).toBe("healthy");
});
