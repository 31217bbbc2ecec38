// Ports per host IP, from the scheduler's decision to what the container publishes: the IP-less
// public ports of a unit land on the IP the scheduler chose, fixed-IP and random ports stay as they
// were, and a unit's members are checked as one request.
import { describe, expect, test } from "bun:test";
import { launchConfigSchema } from "@corral/api";
import { host } from "../../testing/scheduler-fixtures.ts";
import { Scheduler } from "../scheduler/index.ts";
import { bindPorts } from "../services/container-spec.ts";
import { membersRequest, portIpOf } from "./placement.ts";

const IPS = "io.rancher.scheduler.ips";
const lc = (ports: string[], labels: Record<string, string> = {}, more: Record<string, unknown> = {}) =>
  launchConfigSchema.parse({ imageUuid: "docker:busybox", ports, labels, ...more });

describe("bindPorts", () => {
  const cases: [string, string[], string | undefined, string[]][] = [
    ["no chosen IP leaves ports alone", ["8080:80/tcp"], undefined, ["8080:80/tcp"]],
    [
      "a fixed port gets the IP",
      ["8080:80/tcp", "53:53/udp"],
      "10.0.0.2",
      ["10.0.0.2:8080:80/tcp", "10.0.0.2:53:53/udp"],
    ],
    ["a port with its own IP keeps it", ["10.0.0.1:8080:80/tcp"], "10.0.0.2", ["10.0.0.1:8080:80/tcp"]],
    ["a random port stays random", ["80/tcp", "0:81/tcp"], "10.0.0.2", ["80/tcp", "0:81/tcp"]],
  ];
  test.each(cases)("%s", (_name, specs, ip, want) => {
    expect(bindPorts(specs, ip)).toEqual(want);
  });
});

describe("portIpOf", () => {
  test("the second unit asking for a port goes to the host's second IP", () => {
    const sched = new Scheduler([host("h1", { [IPS]: "10.0.0.1,10.0.0.2" })]);
    const request = membersRequest([lc(["8080:80/tcp"])], { name: "a" });
    const first = sched.place(request);
    const second = sched.place(membersRequest([lc(["8080:80/tcp"])], { name: "b" }));
    if (first.hostId === null || second.hostId === null) throw new Error("not placed");
    expect(portIpOf(request, first.bindings)).toBe("10.0.0.1");
    expect(portIpOf(request, second.bindings)).toBe("10.0.0.2");
  });

  test("a host without declared IPs binds on all of them: no IP to write", () => {
    const sched = new Scheduler([host("h1")]);
    const request = membersRequest([lc(["8080:80/tcp"])], { name: "a" });
    const placed = sched.place(request);
    if (placed.hostId === null) throw new Error("not placed");
    expect(portIpOf(request, placed.bindings)).toBeUndefined();
  });

  test("fixed-IP ports are not mistaken for the chosen IP", () => {
    const sched = new Scheduler([host("h1", { [IPS]: "10.0.0.1,10.0.0.2" })]);
    sched.place(membersRequest([lc(["9090:90/tcp"])], { name: "holder" }));
    const request = membersRequest([lc(["10.0.0.1:8081:81/tcp", "9090:90/tcp"])], { name: "a" });
    const placed = sched.place(request);
    if (placed.hostId === null) throw new Error("not placed");
    expect(portIpOf(request, placed.bindings)).toBe("10.0.0.2");
  });
});

describe("membersRequest", () => {
  test("a unit's members are one request: labels, ports and reservations merged", () => {
    const request = membersRequest(
      [
        lc(["80:80/tcp"], { a: "1" }, { memoryReservation: 100, milliCpuReservation: 10 }),
        lc(["53:53/udp"], { b: "2" }, { memoryReservation: 50 }),
      ],
      { name: "s-web-1", serviceRef: "s/web", stackName: "s", requestedHostId: "1h2" },
    );
    expect(request).toEqual({
      name: "s-web-1",
      labels: { a: "1", b: "2", "io.rancher.stack_service.name": "s/web", "io.rancher.stack.name": "s" },
      serviceRef: "s/web",
      ports: [
        { publicPort: 80, protocol: "tcp" },
        { publicPort: 53, protocol: "udp" },
      ],
      memoryReservation: 150,
      milliCpuReservation: 10,
      requestedHostId: "1h2",
      // Both members are on the managed network: the unit needs two addresses on its host.
      addresses: 2,
    });
  });

  test("a standalone container is a unit of one without a service", () => {
    expect(membersRequest([lc(["127.0.0.1:80:80/tcp"])], { name: "c" })).toEqual({
      name: "c",
      labels: {},
      ports: [{ publicPort: 80, protocol: "tcp", ip: "127.0.0.1" }],
      addresses: 1,
    });
  });
});
