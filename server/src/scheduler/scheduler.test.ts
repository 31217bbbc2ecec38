import { describe, expect, test } from "bun:test";
import { host, inst, mib, req } from "../../testing/scheduler-fixtures.ts";
import { summarizeReasons } from "./reasons.ts";
import { Scheduler } from "./scheduler.ts";
import type { PortSpec } from "./types.ts";

const A = "io.rancher.scheduler.affinity:";
const IPS = "io.rancher.scheduler.ips";
const tcp = (publicPort: number, ip?: string): PortSpec => ({
  publicPort,
  protocol: "tcp",
  ...(ip && { ip }),
});
const udp = (publicPort: number): PortSpec => ({ publicPort, protocol: "udp" });

describe("port conflicts", () => {
  const ipsHost = host("h1", { [IPS]: "10.0.0.1,10.0.0.2" });
  // [name, existing ports on h1, requested ports, expected: host id or reason]
  const cases: [string, PortSpec[], PortSpec[], string][] = [
    ["same port taken", [tcp(80)], [tcp(80)], "port 80/tcp taken"],
    ["other port free", [tcp(80)], [tcp(81)], "h1"],
    ["udp does not conflict with tcp", [tcp(53)], [udp(53)], "h1"],
    ["udp conflicts with udp", [udp(53)], [udp(53)], "port 53/udp taken"],
    ["random port (0) never conflicts", [tcp(80)], [tcp(0), tcp(0)], "h1"],
    ["0.0.0.0 binding blocks a specific IP", [tcp(80)], [tcp(80, "10.0.0.1")], "port 10.0.0.1:80/tcp taken"],
    ["specific IP binding blocks 0.0.0.0", [tcp(80, "10.0.0.1")], [tcp(80, "0.0.0.0")], "port 80/tcp taken"],
    ["different specific IPs do not conflict", [tcp(80, "10.0.0.1")], [tcp(80, "10.0.0.2")], "h1"],
    ["requested IP must be on the host", [], [tcp(80, "10.9.9.9")], "ip 10.9.9.9 not on host"],
    ["IP-less port goes to a free declared IP", [tcp(80, "10.0.0.1")], [tcp(80)], "h1"],
    [
      "IP-less port: every declared IP taken",
      [tcp(80, "10.0.0.1"), tcp(80, "10.0.0.2")],
      [tcp(80)],
      "port 80/tcp taken",
    ],
  ];
  test.each(cases)("%s", (_name, existing, ports, want) => {
    const s = new Scheduler([ipsHost], [inst("old", "h1", { ports: existing })]);
    const r = s.place(req({}, { ports }));
    expect(r.hostId ?? r.reasons.h1).toBe(want);
  });

  test("a host without declared IPs binds IP-less ports on 0.0.0.0", () => {
    const r = new Scheduler([host("h1")]).place(req({}, { ports: [tcp(80), udp(53)] }));
    expect(r).toMatchObject({ bindings: [tcp(80, "0.0.0.0"), { ...udp(53), ip: "0.0.0.0" }] });
  });

  test("all IP-less ports of a request land on one IP, the first free one", () => {
    const s = new Scheduler([ipsHost], [inst("old", "h1", { ports: [tcp(443, "10.0.0.1")] })]);
    const r = s.place(req({}, { ports: [tcp(80), tcp(443)] }));
    expect(r).toMatchObject({ hostId: "h1", bindings: [tcp(80, "10.0.0.2"), tcp(443, "10.0.0.2")] });
  });

  test("two IPs take two units publishing port 80, the third fails", () => {
    const s = new Scheduler([ipsHost]);
    expect(s.place(req({}, { ports: [tcp(80)] }))).toMatchObject({ bindings: [tcp(80, "10.0.0.1")] });
    expect(s.place(req({}, { ports: [tcp(80)] }))).toMatchObject({ bindings: [tcp(80, "10.0.0.2")] });
    expect(s.place(req({}, { ports: [tcp(80)] }))).toEqual({
      hostId: null,
      reasons: { h1: "port 80/tcp taken" },
    });
  });

  test("bad port input is an AppError", () => {
    const s = new Scheduler([host("h1")]);
    expect(() => s.place(req({}, { ports: [tcp(70000)] }))).toThrow("not a port number");
    expect(() => s.place(req({}, { ports: [{ publicPort: 80, protocol: "sctp" as "tcp" }] }))).toThrow(
      "not tcp or udp",
    );
  });
});

describe("successive placements reserve", () => {
  test("scale 3 with a host port on 2 hosts: third fails on both", () => {
    const s = new Scheduler([host("h1"), host("h2")]);
    const unit = () => req({}, { svc: "s/web", ports: [tcp(80)] });
    const a = s.place(unit());
    const b = s.place(unit());
    expect([a.hostId, b.hostId].sort()).toEqual(["h1", "h2"]);
    const c = s.place(unit());
    expect(c).toEqual({ hostId: null, reasons: { h1: "port 80/tcp taken", h2: "port 80/tcp taken" } });
    if (c.hostId === null) {
      expect(summarizeReasons(c.reasons)).toBe("no host fits: h1: port 80/tcp taken; h2: port 80/tcp taken");
    }
  });

  test("release frees the port", () => {
    const s = new Scheduler([host("h1")]);
    const a = s.place(req({}, { id: "1i1", ports: [tcp(80)] }));
    expect(a).toMatchObject({ hostId: "h1", instanceId: "1i1" });
    expect(s.place(req({}, { ports: [tcp(80)] })).hostId).toBeNull();
    expect(s.release("1i1")).toBe(true);
    expect(s.release("1i1")).toBe(false);
    expect(s.place(req({}, { ports: [tcp(80)] })).hostId).toBe("h1");
  });

  test("memory reservations add up", () => {
    const s = new Scheduler([host("h1", {}, { memoryTotal: mib(1024) })]);
    const r = () => s.place(req({}, { memoryReservation: mib(400) }));
    expect(r().hostId).toBe("h1");
    expect(r().hostId).toBe("h1");
    expect(r()).toEqual({
      hostId: null,
      reasons: { h1: "not enough memory: 400 MiB requested, 224 MiB free" },
    });
    expect(s.usage("h1")).toEqual({ instances: 2, memory: mib(800), milliCpu: 0 });
  });

  test("placed labels and names feed later affinity rules", () => {
    const s = new Scheduler([host("h1"), host("h2")]);
    const first = s.place(req({}, { name: "db-1", svc: "s/db" }));
    const byLabel = s.place(req({ [`${A}container_label`]: "io.rancher.stack_service.name=s/db" }));
    const byName = s.place(req({ [`${A}container`]: "db-1" }));
    expect(byLabel.hostId).toBe(first.hostId);
    expect(byName.hostId).toBe(first.hostId);
  });

  test("soft anti-affinity spreads a service, then doubles up when it must", () => {
    const s = new Scheduler([host("h1"), host("h2"), host("h3")]);
    const unit = () =>
      req({ [`${A}container_label_soft_ne`]: "io.rancher.stack_service.name=s/web" }, { svc: "s/web" });
    const placed = [1, 2, 3, 4].map(() => s.place(unit()).hostId);
    expect(placed.slice(0, 3).sort()).toEqual(["h1", "h2", "h3"]);
    expect(placed[3]).toBe("h1");
  });

  test("placing an id twice is refused", () => {
    const s = new Scheduler([host("h1")]);
    s.place(req({}, { id: "x" }));
    expect(() => s.place(req({}, { id: "x" }))).toThrow("already placed");
  });
});

describe("keeping in sync", () => {
  test("instances may arrive before their host", () => {
    const s = new Scheduler();
    s.addInstance(inst("i", "h1", { ports: [tcp(80)] }));
    s.upsertHost(host("h1"));
    expect(s.place(req({}, { ports: [tcp(80)] })).hostId).toBeNull();
    expect(s.hostOf("i")).toBe("h1");
  });

  test("addInstance replaces a record with the same id (moves it)", () => {
    const s = new Scheduler([host("h1"), host("h2")], [inst("i", "h1", { ports: [tcp(80)] })]);
    s.addInstance(inst("i", "h2", { ports: [tcp(80)] }));
    expect(s.usage("h1")?.instances).toBe(0);
    expect(s.place(req({}, { ports: [tcp(80)], requestedHostId: "h1" })).hostId).toBe("h1");
  });

  test("upsertHost updates state and labels, keeps instances", () => {
    const s = new Scheduler([host("h1")], [inst("i", "h1")]);
    s.upsertHost(host("h1", { disk: "ssd" }, { state: "inactive" }));
    expect(s.place(req()).hostId).toBeNull();
    s.upsertHost(host("h1", { disk: "ssd" }));
    expect(s.place(req({ [`${A}host_label`]: "disk=ssd" })).hostId).toBe("h1");
    expect(s.usage("h1")?.instances).toBe(2);
  });

  test("removeHost forgets its instances", () => {
    const s = new Scheduler([host("h1"), host("h2")], [inst("i", "h1")]);
    expect(s.removeHost("h1")).toBe(true);
    expect(s.hostOf("i")).toBeUndefined();
    expect(s.place(req()).hostId).toBe("h2");
    expect(s.removeHost("h1")).toBe(false);
  });
});

describe("eligibleHosts (global services)", () => {
  test("hard rules filter, soft rules do not", () => {
    const s = new Scheduler([
      host("h1", { role: "edge" }),
      host("h2", { role: "edge" }, { state: "inactive" }),
      host("h3", { role: "core" }),
      host("h4", { role: "edge", "io.rancher.scheduler.require_any": "x=y" }),
    ]);
    const r = req(
      { [`${A}host_label`]: "role=edge", [`${A}host_label_soft`]: "disk=ssd" },
      { svc: "s/agent" },
    );
    expect(s.eligibleHosts(r)).toEqual(["h1"]);
  });

  test("a host already running the service's unit stays eligible despite its ports", () => {
    const s = new Scheduler(
      [host("h1"), host("h2")],
      [inst("a1", "h1", { svc: "s/agent", ports: [tcp(9100)] }), inst("x", "h2", { ports: [tcp(9100)] })],
    );
    const r = req(
      { [`${A}container_label_ne`]: "io.rancher.stack_service.name=s/agent" },
      { svc: "s/agent", ports: [tcp(9100)] },
    );
    expect(s.eligibleHosts(r)).toEqual(["h1"]);
  });
});

describe("summarizeReasons", () => {
  test("sorted by host name, long lists counted", () => {
    expect(summarizeReasons({ b: "inactive", a: "port 80/tcp taken" })).toBe(
      "no host fits: a: port 80/tcp taken; b: inactive",
    );
    expect(summarizeReasons({})).toBe("no host fits: no hosts");
    const many = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`h${String(i).padStart(2, "0")}`, "inactive"]),
    );
    expect(summarizeReasons(many)).toEndWith("h09: inactive; and 2 more");
  });
});
