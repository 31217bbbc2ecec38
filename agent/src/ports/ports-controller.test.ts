import { describe, expect, test } from "bun:test";
import type { ContainerObservation } from "@corral/api";
import { createLogger } from "@corral/lib";
import { FakeIptables } from "../../testing/fake-iptables.ts";
import { hostStateFor } from "../../testing/ports-state.ts";
import { PortsController } from "./ports-controller.ts";

const logger = createLogger("test");

function controller(iptables: FakeIptables, observe?: () => Promise<ContainerObservation[]>) {
  return new PortsController({
    iptables,
    logger,
    prefix: "CORRAL",
    bridgeInterface: "corral0",
    serviceAddress: "169.254.169.250",
    random: () => 0.5,
    ...(observe && { observe }),
  });
}

const web = { ports: ["18080:80/tcp"] };

describe("PortsController rule rendering", () => {
  test("renders the whole rule set into CORRAL chains, one restore per table", async () => {
    const iptables = new FakeIptables();
    const result = await controller(iptables).pass(hostStateFor([web, { ports: ["53/udp"] }]));
    expect(result.restored).toEqual(["nat", "filter"]);
    expect(iptables.restores.length).toBe(2);
    const nat = iptables.restores[0]!.text;
    expect(nat).toBe(
      [
        "*nat",
        ":CORRAL-PREROUTING - [0:0]",
        ":CORRAL-OUTPUT - [0:0]",
        ":CORRAL-POSTROUTING - [0:0]",
        "-A CORRAL-PREROUTING -d 169.254.169.250/32 -j RETURN",
        '-A CORRAL-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 18080 -m comment --comment "1i1 80/tcp" -j DNAT --to-destination 10.42.1.10:80',
        '-A CORRAL-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 57344 -m comment --comment "1i2 53/udp" -j DNAT --to-destination 10.42.1.11:53',
        "-A CORRAL-OUTPUT -d 169.254.169.250/32 -j RETURN",
        '-A CORRAL-OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 18080 -m comment --comment "1i1 80/tcp" -j DNAT --to-destination 10.42.1.10:80',
        '-A CORRAL-OUTPUT -p udp -m addrtype --dst-type LOCAL -m udp --dport 57344 -m comment --comment "1i2 53/udp" -j DNAT --to-destination 10.42.1.11:53',
        "-A CORRAL-POSTROUTING -s 127.0.0.0/8 -o corral0 -j MASQUERADE",
        '-A CORRAL-POSTROUTING -s 10.42.1.0/24 -d 10.42.1.10/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment "1i1 80/tcp" -j MASQUERADE',
        '-A CORRAL-POSTROUTING -s 10.42.1.0/24 -d 10.42.1.11/32 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT -m comment --comment "1i2 53/udp" -j MASQUERADE',
        "-A CORRAL-POSTROUTING -s 10.42.1.0/24 ! -d 10.42.0.0/16 -j MASQUERADE",
        "-I PREROUTING 1 -j CORRAL-PREROUTING",
        "-I OUTPUT 1 -j CORRAL-OUTPUT",
        "-I POSTROUTING 1 -j CORRAL-POSTROUTING",
        "COMMIT",
        "",
      ].join("\n"),
    );
    expect(iptables.restores[1]!.text).toBe(
      [
        "*filter",
        ":CORRAL-FORWARD - [0:0]",
        '-A CORRAL-FORWARD -d 10.42.1.10/32 -o corral0 -p tcp -m tcp --dport 80 -m comment --comment "1i1 80/tcp" -j ACCEPT',
        '-A CORRAL-FORWARD -d 10.42.1.11/32 -o corral0 -p udp -m udp --dport 53 -m comment --comment "1i2 53/udp" -j ACCEPT',
        "-A CORRAL-FORWARD -s 10.42.0.0/16 -d 10.42.1.0/24 -o corral0 -j ACCEPT",
        "-I FORWARD 1 -j CORRAL-FORWARD",
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  test("a second pass changes nothing; foreign rules stay; a flushed chain or lost jump is repaired", async () => {
    const iptables = new FakeIptables();
    const ports = controller(iptables);
    const state = hostStateFor([web]);
    await ports.pass(state);
    const before = (await iptables.save("nat")) + (await iptables.save("filter"));
    expect((await ports.pass(state)).restored).toEqual([]);
    iptables.add("nat", "PREROUTING", "-p tcp -m tcp --dport 9999 -j DNAT --to-destination 10.9.9.9:1");
    iptables.add("filter", "FORWARD", "-s 10.9.9.9/32 -j DROP");
    expect((await ports.pass(state)).restored).toEqual([]);
    iptables.flush("nat", "CORRAL-PREROUTING");
    iptables.flush("filter", "FORWARD");
    expect((await ports.pass(state)).restored).toEqual(["nat", "filter"]);
    const nat = await iptables.save("nat");
    expect(nat).toContain("-A PREROUTING -p tcp -m tcp --dport 9999 -j DNAT --to-destination 10.9.9.9:1");
    expect(nat).toContain("--dport 18080");
    expect((await iptables.save("filter")).split("\n").filter((l) => l.startsWith("-A FORWARD"))).toEqual([
      "-A FORWARD -j CORRAL-FORWARD",
    ]);
    // Jumps are inserted once, at the top, and not again.
    expect(nat.split("\n").filter((l) => l === "-A PREROUTING -j CORRAL-PREROUTING").length).toBe(1);
    expect(nat.split("\n").find((l) => l.startsWith("-A PREROUTING"))).toBe(
      "-A PREROUTING -j CORRAL-PREROUTING",
    );
    expect(before).toContain("CORRAL-FORWARD");
  });

  test("only running managed containers of this host are published, as Docker sees them", async () => {
    const iptables = new FakeIptables();
    let observed: ContainerObservation[] = [
      { containerId: "1i1", dockerId: "d1", name: "c1", state: "running", ipAddress: "10.42.1.10" },
      { containerId: "1i2", dockerId: "d2", name: "c2", state: "exited", ipAddress: "10.42.1.11" },
      { containerId: "1i3", dockerId: "d3", name: "c3", state: "running", ipAddress: "172.17.0.5" },
      { containerId: "1i4", dockerId: "d4", name: "c4", state: "running", ipAddress: "10.42.1.13" },
    ];
    const ports = controller(iptables, async () => observed);
    const state = hostStateFor([
      { ports: ["80:80"] },
      { ports: ["81:80"] },
      { ports: ["82:80"] },
      { ports: ["83:80"], hostId: "1h2" },
      { ports: ["84:80"] },
    ]);
    const first = await ports.pass(state);
    expect(first.assignments.map((a) => `${a.containerId}:${a.publicPort}`)).toEqual(["1i1:80"]);
    expect(ports.publishedPorts("1i1")).toEqual([{ privatePort: 80, publicPort: 80, protocol: "tcp" }]);
    expect(ports.publishedPorts("1i3")).toBeUndefined();
    // Removed in Docker: its rules go at the next pass, before the server notices.
    observed = [];
    const second = await ports.pass(state);
    expect(second.assignments).toEqual([]);
    expect(second.restored).toEqual(["nat", "filter"]);
    expect(await iptables.save("nat")).not.toContain("--dport 80 ");
  });

  test("Docker not answering keeps the last view; without one the pass fails", async () => {
    let fail = true;
    const observe = async (): Promise<ContainerObservation[]> => {
      if (fail) throw new Error("docker down");
      return [{ containerId: "1i1", dockerId: "d1", name: "c1", state: "running", ipAddress: "10.42.1.10" }];
    };
    const ports = controller(new FakeIptables(), observe);
    const state = hostStateFor([web]);
    await expect(ports.pass(state)).rejects.toThrow("docker down");
    fail = false;
    await ports.pass(state);
    fail = true;
    expect((await ports.pass(state)).assignments.length).toBe(1);
  });

  test("reports random ports and refuses a clash; removeAll leaves only foreign chains", async () => {
    const iptables = new FakeIptables();
    const ports = controller(iptables);
    const out = await ports.pass(hostStateFor([{ ports: ["80/tcp"] }, web, { ports: ["18080:81/tcp"] }]));
    expect(out.assignments.map((a) => a.containerId)).toEqual(["1i1", "1i2"]);
    expect(ports.publishedPorts("1i1")?.[0]?.publicPort).toBe(57344);
    iptables.add("nat", "OTHER", "-j RETURN");
    await ports.removeAll();
    const nat = await iptables.save("nat");
    expect(nat).not.toContain("CORRAL");
    expect(nat).toContain("-A OTHER -j RETURN");
    expect(ports.publishedPorts("1i1")).toBeUndefined();
  });

  test("no managed network: empty chains only", async () => {
    const iptables = new FakeIptables();
    const out = await controller(iptables).pass(hostStateFor([web], { network: null }));
    expect(out.assignments).toEqual([]);
    expect(await iptables.save("filter")).toContain(":CORRAL-FORWARD - [0:0]");
  });
});
