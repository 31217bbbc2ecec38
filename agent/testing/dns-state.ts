import type { HostState, StateContainer, StateService } from "@corral/api";

/**
 * Synthetic host states for the DNS and metadata tests: two stacks, sidekicks, links, external and
 * alias services, and containers at 127.0.0.x addresses so tests can ask "as" a container by binding
 * their client socket to that address.
 */

/** A container with defaults for whatever the test does not care about. */
export function container(over: Partial<StateContainer> & { id: string; name: string }): StateContainer {
  return {
    hostId: "1h1",
    ip: null,
    state: "running",
    healthState: null,
    stackName: null,
    serviceName: null,
    serviceId: null,
    launchConfigName: null,
    createIndex: 1,
    labels: {},
    ports: [],
    links: {},
    dns: [],
    dnsSearch: [],
    ...over,
  };
}

/** A service with defaults. */
export function service(
  over: Partial<StateService> & { id: string; name: string; stackName: string },
): StateService {
  return {
    kind: "service",
    state: "active",
    healthState: "healthy",
    scale: 1,
    links: [],
    externalIpAddresses: [],
    hostname: null,
    sidekicks: [],
    metadata: {},
    labels: {},
    lbConfig: null,
    ...over,
  };
}

/** Primary containers of a service in `stack`. */
function member(
  id: string,
  name: string,
  svc: [string, string, string],
  ip: string,
  over: Partial<StateContainer> = {},
): StateContainer {
  const [serviceId, serviceName, stackName] = svc;
  return container({ id, name, ip, serviceId, serviceName, stackName, launchConfigName: "", ...over });
}

const WEB: [string, string, string] = ["1s1", "web", "mystack"];
const DB: [string, string, string] = ["1s2", "db", "mystack"];
const CACHE: [string, string, string] = ["1s3", "cache", "mystack"];
const ODB: [string, string, string] = ["1s10", "db", "other"];
const APP: [string, string, string] = ["1s11", "app", "other"];

/** The base fixture; `version` lets tests publish successive states. */
export function sampleState(version = 1, over: Partial<HostState> = {}): HostState {
  return {
    type: "hostState",
    version,
    hostId: "1h1",
    environmentId: "1a5",
    network: {
      cidr: "10.42.0.0/16",
      hostSubnet: "10.42.1.0/24",
      gateway: "10.42.1.1",
      bridgeName: "corral0",
      mtu: 1500,
    },
    portRange: { start: 49153, end: 65535 },
    containers: [
      member("1i1", "mystack-web-1", WEB, "127.0.0.2", {
        healthState: "healthy",
        ports: ["8080:80/tcp"],
        labels: { "io.rancher.stack_service.name": "mystack/web" },
      }),
      member("1i2", "mystack-web-2", WEB, "10.42.1.3", { createIndex: 2 }),
      member("1i3", "mystack-web-logger-1", WEB, "10.42.1.4", { launchConfigName: "logger" }),
      member("1i4", "mystack-db-1", DB, "10.42.1.10", { healthState: "healthy" }),
      member("1i5", "mystack-db-2", DB, "10.42.1.11", { healthState: "unhealthy", createIndex: 2 }),
      member("1i6", "mystack-db-3", DB, "10.42.1.12", { healthState: "healthy", createIndex: 3 }),
      member("1i7", "mystack-cache-1", CACHE, "10.42.1.20", { healthState: "unhealthy", createIndex: 1 }),
      member("1i8", "mystack-cache-2", CACHE, "10.42.1.21", { healthState: "initializing", createIndex: 2 }),
      member("1i9", "other-db-1", ODB, "10.42.1.30"),
      member("1i10", "other-app-1", APP, "127.0.0.3"),
      member("1i11", "mystack-db-4", DB, "10.42.1.13", { state: "stopped", createIndex: 4 }),
      container({
        id: "1i12",
        name: "solo",
        ip: "127.0.0.4",
        links: { mydb: "mystack/db", peer: "other-db-1" },
      }),
    ],
    services: [
      service({
        id: "1s1",
        name: "web",
        stackName: "mystack",
        scale: 2,
        sidekicks: ["logger"],
        links: [{ serviceId: "1s2", alias: "database" }],
        metadata: { color: "blue", nested: { a: 1 } },
      }),
      service({ id: "1s2", name: "db", stackName: "mystack", scale: 3 }),
      service({ id: "1s3", name: "cache", stackName: "mystack", scale: 2, healthState: "unhealthy" }),
      service({
        id: "1s4",
        name: "ext",
        stackName: "mystack",
        kind: "externalService",
        externalIpAddresses: ["192.0.2.1", "192.0.2.2"],
      }),
      service({
        id: "1s5",
        name: "exthost",
        stackName: "mystack",
        kind: "externalService",
        hostname: "example.test",
      }),
      service({
        id: "1s6",
        name: "alias",
        stackName: "mystack",
        kind: "dnsService",
        links: [
          { serviceId: "1s2", alias: "db" },
          { serviceId: "1s4", alias: "ext" },
        ],
      }),
      service({
        id: "1s7",
        name: "hostalias",
        stackName: "mystack",
        kind: "dnsService",
        links: [{ serviceId: "1s5", alias: "exthost" }],
      }),
      service({ id: "1s10", name: "db", stackName: "other", scale: 1 }),
      service({ id: "1s11", name: "app", stackName: "other", links: [{ serviceId: "1s2", alias: "db" }] }),
    ],
    hosts: [
      {
        id: "1h1",
        name: "host-a",
        agentIp: "192.168.1.10",
        hostSubnet: "10.42.1.0/24",
        labels: { zone: "a" },
        state: "active",
        agentState: "active",
      },
      {
        id: "1h2",
        name: "host-b",
        agentIp: "192.168.1.11",
        hostSubnet: "10.42.2.0/24",
        labels: {},
        state: "active",
        agentState: "active",
      },
    ],
    certificates: [],
    upstreamDns: [],
    ...over,
  };
}
