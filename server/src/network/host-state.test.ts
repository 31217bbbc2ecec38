import { expect, test } from "bun:test";
import { hostStateSchema } from "@corral/api";
import type { Row } from "../store/rows.ts";
import { hostStateFrom, type ProjectRows } from "./host-state.ts";

const row = <T extends object>(
  type: Row["type"],
  id: number,
  name: string,
  data: T,
  state = "active",
): Row<T> =>
  ({
    id,
    type,
    projectId: "1a1",
    name,
    state,
    created: 0,
    updated: 0,
    removed: null,
    lookup: null,
    data,
  }) as Row<T>;

function rows(containerCount = 3): ProjectRows {
  const svc = (id: number, name: string, extra: object) =>
    row("service", id, name, {
      stackId: "1st5",
      kind: "service",
      scale: 1,
      healthState: "healthy",
      links: [],
      externalLinks: [],
      externalIpAddresses: [],
      secondaryLaunchConfigs: [],
      launchConfig: { labels: { tier: name } },
      ...extra,
    });
  const containers = Array.from({ length: containerCount }, (_, i) =>
    row(
      "container",
      100 + i,
      `shop-web-${i}`,
      {
        hostId: i % 2 ? "1h2" : "1h1",
        managedIp: `10.42.${i % 2}.${(i % 250) + 2}`,
        primaryIpAddress: "172.17.0.2",
        healthState: "healthy",
        serviceId: i === 0 ? "1s11" : "1s10",
        stackId: "1st5",
        launchConfigName: "",
        createIndex: i + 1,
        labels: {},
        ports: i === 0 ? ["80:80/tcp"] : ["8080"],
        publicEndpoints: i === 1 ? [{ port: 49200, privatePort: 8080, protocol: "tcp" }] : [],
        dns: ["8.8.8.8"],
      },
      "running",
    ),
  );
  return {
    projectId: "1a1",
    project: row("project", 1, "env", {
      members: [],
      servicesPortRange: { startPort: 50000, endPort: 50100 },
    }),
    hosts: [
      row("host", 1, "one", {
        hostname: "one",
        labels: {},
        agentState: "active",
        agentIpAddress: "192.0.2.1",
        hostSubnet: "10.42.0.0/24",
      }),
      row("host", 2, "two", {
        hostname: "two",
        labels: {},
        agentState: "active",
        agentIpAddress: "192.0.2.2",
        hostSubnet: "10.42.1.0/24",
      }),
    ] as never,
    containers: containers as never,
    services: [
      svc(10, "web", {
        links: [{ target: "db", alias: "database" }, { target: "other/api" }],
        secondaryLaunchConfigs: [{ name: "log" }],
      }),
      svc(11, "lb", {
        kind: "loadBalancerService",
        lbConfig: {
          portRules: [{ sourcePort: 80, targetPort: 8080, service: "web" }],
          certs: ["site"],
          defaultCertificateId: "1ce31",
        },
      }),
      svc(12, "db", {}),
      { ...svc(13, "api", {}), data: { ...svc(13, "api", {}).data, stackId: "1st6" } },
    ] as never,
    stacks: [row("stack", 5, "shop", {}), row("stack", 6, "other", {})] as never,
    certificates: [
      row("certificate", 30, "site", { cert: "CERT30" }),
      row("certificate", 31, "default", { cert: "CERT31" }),
      row("certificate", 32, "unused", { cert: "CERT32" }),
    ],
    keyOf: (id) => `KEY-${id}`,
  };
}

test("the view holds the slice, every container and service, links resolved to ids", () => {
  const state = hostStateSchema.parse(hostStateFrom(rows(), "1h1", 7));
  expect(state.network).toEqual({
    cidr: "10.42.0.0/16",
    hostSubnet: "10.42.0.0/24",
    gateway: "10.42.0.1",
    bridgeName: "corral-managed",
    mtu: 1500,
  });
  expect(state.portRange).toEqual({ start: 50000, end: 50100 });
  expect(state.containers).toHaveLength(3);
  expect(state.containers[1]).toMatchObject({
    id: "1i101",
    ip: "10.42.1.3",
    stackName: "shop",
    serviceName: "web",
    launchConfigName: "",
    ports: ["49200:8080/tcp"],
    dns: ["8.8.8.8"],
  });
  const web = state.services.find((s) => s.name === "web")!;
  expect(web.links).toEqual([
    { serviceId: "1s12", alias: "database" },
    { serviceId: "1s13", alias: "api" },
  ]);
  expect(web).toMatchObject({ sidekicks: ["log"], labels: { tier: "web" }, stackName: "shop" });
  const lb = state.services.find((s) => s.name === "lb")!;
  expect(lb.lbConfig).toMatchObject({
    portRules: [{ service: "web", serviceId: "1s10" }],
    certificateIds: ["1ce30"],
    defaultCertificateId: "1ce31",
  });
  expect(state.hosts.map((h) => h.hostSubnet)).toEqual(["10.42.0.0/24", "10.42.1.0/24"]);
});

test("only hosts running a balancer get its certificates, with keys", () => {
  const here = hostStateFrom(rows(), "1h1", 1);
  expect(here.certificates.map((c) => [c.id, c.key])).toEqual([
    ["1ce30", "KEY-1ce30"],
    ["1ce31", "KEY-1ce31"],
  ]);
  expect(hostStateFrom(rows(), "1h2", 1).certificates).toEqual([]);
});

test("1,000 containers take a few milliseconds", () => {
  const big = rows(1000);
  hostStateFrom(big, "1h1", 1);
  const started = performance.now();
  const state = hostStateFrom(big, "1h1", 2);
  const ms = performance.now() - started;
  expect(state.containers).toHaveLength(1000);
  expect(ms).toBeLessThan(50);
});
