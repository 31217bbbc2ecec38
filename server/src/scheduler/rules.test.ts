import { describe, expect, test } from "bun:test";
import { host, inst, mib, req } from "../../testing/scheduler-fixtures.ts";
import { Scheduler } from "./scheduler.ts";
import type { PlacementRequest, SchedHost, SchedInstance } from "./types.ts";

const A = "io.rancher.scheduler.affinity:";
const SVC = "io.rancher.stack_service.name";

interface Case {
  name: string;
  hosts: SchedHost[];
  instances?: SchedInstance[];
  req: PlacementRequest;
  /** The chosen host id, or the expected reasons when nothing fits. */
  want: string | Record<string, string>;
}

function run(c: Case): string | Record<string, string> {
  const r = new Scheduler(c.hosts, c.instances ?? []).place(c.req);
  return r.hostId ?? r.reasons;
}

const ssd = host("h1", { disk: "ssd", zone: "a" });
const hdd = host("h2", { disk: "hdd", zone: "b" });
const nolabel = host("h3");

const hostLabel: Case[] = [
  {
    name: "hard match",
    hosts: [nolabel, hdd, ssd],
    req: req({ [`${A}host_label`]: "disk=ssd" }),
    want: "h1",
  },
  {
    name: "hard: every pair must match",
    hosts: [ssd, hdd],
    req: req({ [`${A}host_label`]: "disk=ssd,zone=b" }),
    want: {
      h1: `host label ${A}host_label zone=b not matched`,
      h2: `host label ${A}host_label disk=ssd not matched`,
    },
  },
  {
    name: "hard key-only term matches any value",
    hosts: [nolabel, hdd],
    req: req({ [`${A}host_label`]: "disk" }),
    want: "h2",
  },
  {
    name: "case-insensitive",
    hosts: [host("h9", { Disk: "SSD" })],
    req: req({ [`${A}host_label`]: "disk=ssd" }),
    want: "h9",
  },
  { name: "ne excludes", hosts: [ssd, hdd], req: req({ [`${A}host_label_ne`]: "disk=ssd" }), want: "h2" },
  {
    name: "ne fails with reason",
    hosts: [ssd],
    req: req({ [`${A}host_label_ne`]: "zone=a" }),
    want: { h1: `host label ${A}host_label_ne zone=a matched` },
  },
  {
    name: "soft prefers",
    hosts: [hdd, nolabel, ssd],
    req: req({ [`${A}host_label_soft`]: "disk=ssd" }),
    want: "h1",
  },
  {
    name: "soft unsatisfiable is dropped",
    hosts: [hdd, nolabel],
    req: req({ [`${A}host_label_soft`]: "disk=nvme" }),
    want: "h2",
  },
  {
    name: "soft_ne avoids",
    hosts: [ssd, hdd],
    req: req({ [`${A}host_label_soft_ne`]: "disk=hdd" }),
    want: "h1",
  },
  {
    name: "soft: the host satisfying more soft rules wins",
    hosts: [ssd, hdd, host("h4", { disk: "ssd", zone: "b" })],
    req: req({ [`${A}host_label_soft`]: "disk=ssd,zone=b,rack=9" }),
    want: "h4",
  },
  {
    name: "soft never overrides hard",
    hosts: [ssd, hdd],
    req: req({ [`${A}host_label`]: "zone=b", [`${A}host_label_soft`]: "disk=ssd" }),
    want: "h2",
  },
];

const containerRules: Case[] = [
  {
    name: "service affinity: go where the service runs",
    hosts: [host("h1"), host("h2")],
    instances: [inst("db-1", "h2", { svc: "shop/db" })],
    req: req({ [`${A}container_label`]: `${SVC}=shop/db` }, { svc: "shop/web" }),
    want: "h2",
  },
  {
    name: "service affinity: stack-less name resolved in own stack",
    hosts: [host("h1"), host("h2")],
    instances: [inst("db-1", "h2", { svc: "shop/db" })],
    req: req({ [`${A}container_label`]: `${SVC}=db` }, { svc: "shop/web" }),
    want: "h2",
  },
  {
    name: "hard anti-affinity with own service",
    hosts: [host("h1"), host("h2")],
    instances: [inst("web-1", "h1", { svc: "shop/web" })],
    req: req({ [`${A}container_label_ne`]: `${SVC}=shop/web` }, { svc: "shop/web" }),
    want: "h2",
  },
  {
    name: "hard anti-affinity unsatisfiable: reason",
    hosts: [host("h1")],
    instances: [inst("web-1", "h1", { svc: "shop/web" })],
    req: req({ [`${A}container_label_ne`]: `${SVC}=shop/web` }, { svc: "shop/web" }),
    want: { h1: `container label ${A}container_label_ne ${SVC}=shop/web matched` },
  },
  {
    name: "soft anti-affinity dropped when every host has one",
    hosts: [host("h1"), host("h2")],
    instances: [inst("web-1", "h1", { svc: "shop/web" }), inst("web-2", "h2", { svc: "shop/web" })],
    req: req({ [`${A}container_label_soft_ne`]: `${SVC}=shop/web` }, { svc: "shop/web" }),
    want: "h1",
  },
  {
    name: "container_label on plain labels",
    hosts: [host("h1"), host("h2")],
    instances: [inst("x", "h2", { labels: { app: "Cache" } })],
    req: req({ [`${A}container_label_soft`]: "app=cache" }),
    want: "h2",
  },
  {
    name: "container name affinity",
    hosts: [host("h1"), host("h2")],
    instances: [inst("i1", "h2", { name: "Mysql" })],
    req: req({ [`${A}container`]: "mysql" }),
    want: "h2",
  },
  {
    name: "container name anti-affinity",
    hosts: [host("h1"), host("h2")],
    instances: [inst("i1", "h1", { name: "mysql" })],
    req: req({ [`${A}container_ne`]: "mysql" }),
    want: "h2",
  },
  {
    name: "container name not found: reason",
    hosts: [host("h1")],
    req: req({ [`${A}container`]: "mysql" }),
    want: { h1: `container ${A}container mysql not matched` },
  },
  {
    name: "container rule matches the instance id too (as Cattle's uuid)",
    hosts: [host("h1"), host("h2")],
    instances: [inst("1i42", "h2", { name: "other" })],
    req: req({ [`${A}container`]: "1i42" }),
    want: "h2",
  },
];

const hostFilters: Case[] = [
  {
    name: "inactive and disconnected hosts skipped",
    hosts: [host("h1", {}, { state: "inactive" }), host("h2", {}, { agentConnected: false }), host("h3")],
    req: req(),
    want: "h3",
  },
  {
    name: "inactive and disconnected: reasons",
    hosts: [host("h1", {}, { state: "inactive" }), host("h2", {}, { agentConnected: false })],
    req: req(),
    want: { h1: "inactive", h2: "agent disconnected" },
  },
  {
    name: "require_any accepts a matching container",
    hosts: [host("h1", { "io.rancher.scheduler.require_any": "role=web,role=lb" })],
    req: req({ role: "lb" }),
    want: "h1",
  },
  {
    name: "require_any key-only term",
    hosts: [host("h1", { "io.rancher.scheduler.require_any": "gpu" })],
    req: req({ gpu: "anything" }),
    want: "h1",
  },
  {
    name: "require_any rejects others: reason",
    hosts: [
      host("h1", { "io.rancher.scheduler.require_any": "role=web" }),
      host("h2", {}, { state: "inactive" }),
    ],
    req: req({ role: "db" }),
    want: { h1: "require_any: needs one of role=web", h2: "inactive" },
  },
  {
    name: "requestedHostId restricts",
    hosts: [host("h1"), host("h2")],
    req: req({}, { requestedHostId: "h2" }),
    want: "h2",
  },
  {
    name: "requestedHostId skips affinity rules, as Cattle does",
    hosts: [host("h1", { disk: "ssd" }), host("h2")],
    req: req({ [`${A}host_label`]: "disk=ssd" }, { requestedHostId: "h2" }),
    want: "h2",
  },
  {
    name: "requestedHostId still checks ports, reason only for that host",
    hosts: [host("h1"), host("h2")],
    instances: [inst("i", "h2", { ports: [{ publicPort: 80, protocol: "tcp" }] })],
    req: req({}, { requestedHostId: "h2", ports: [{ publicPort: 80, protocol: "tcp" }] }),
    want: { h2: "port 80/tcp taken" },
  },
  {
    name: "requestedHostId unknown",
    hosts: [host("h1")],
    req: req({}, { requestedHostId: "h9" }),
    want: { h9: "requested host not found" },
  },
  {
    name: "reservations: memory",
    hosts: [host("h1", {}, { memoryTotal: mib(1024) }), host("h2", {}, { memoryTotal: mib(2048) })],
    instances: [inst("i", "h2", { memoryReservation: mib(1800) })],
    req: req({}, { memoryReservation: mib(512) }),
    want: "h1",
  },
  {
    name: "reservations: memory reason",
    hosts: [host("h1", {}, { memoryTotal: mib(1024) })],
    instances: [inst("i", "h1", { memoryReservation: mib(924) })],
    req: req({}, { memoryReservation: mib(512) }),
    want: { h1: "not enough memory: 512 MiB requested, 100 MiB free" },
  },
  {
    name: "reservations: cpu reason",
    hosts: [host("h1", {}, { milliCpuTotal: 2000 })],
    instances: [inst("i", "h1", { milliCpuReservation: 1800 })],
    req: req({}, { milliCpuReservation: 500 }),
    want: { h1: "not enough CPU: 500 milli-CPU requested, 200 free" },
  },
  {
    name: "reservations: unknown total means no limit",
    hosts: [host("h1")],
    instances: [inst("i", "h1", { memoryReservation: mib(1 << 20) })],
    req: req({}, { memoryReservation: mib(1 << 20), milliCpuReservation: 99999 }),
    want: "h1",
  },
  {
    name: "first failing rule is reported (label before port)",
    hosts: [host("h1")],
    instances: [inst("i", "h1", { ports: [{ publicPort: 80, protocol: "tcp" }] })],
    req: req({ [`${A}host_label`]: "disk=ssd" }, { ports: [{ publicPort: 80, protocol: "tcp" }] }),
    want: { h1: `host label ${A}host_label disk=ssd not matched` },
  },
];

const spread: Case[] = [
  {
    name: "fewest units of the same service first",
    hosts: [host("h1"), host("h2")],
    instances: [inst("w1", "h1", { svc: "s/web" }), inst("o1", "h2"), inst("o2", "h2")],
    req: req({}, { svc: "s/web" }),
    want: "h2",
  },
  {
    name: "then fewest instances",
    hosts: [host("h1"), host("h2")],
    instances: [inst("o1", "h1")],
    req: req({}, { svc: "s/web" }),
    want: "h2",
  },
  { name: "then lowest id", hosts: [host("h2"), host("h1")], req: req(), want: "h1" },
  {
    name: "soft score beats spread",
    hosts: [host("h1", { disk: "ssd" }), host("h2")],
    instances: [inst("w1", "h1", { svc: "s/web" })],
    req: req({ [`${A}host_label_soft`]: "disk=ssd" }, { svc: "s/web" }),
    want: "h1",
  },
];

describe.each([
  ["host_label", hostLabel],
  ["container_label and container", containerRules],
  ["host filters and reservations", hostFilters],
  ["spread", spread],
] as const)("%s", (_group, cases) => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(run(c)).toEqual(c.want);
  });
});
