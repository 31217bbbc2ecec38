import { afterAll, describe, expect, test } from "bun:test";
import { createLogger, run } from "@corral/lib";
import { hostStateFor } from "../../testing/ports-state.ts";
import { createIptables } from "./iptables.ts";
import { PortsController } from "./ports-controller.ts";

// Against the real iptables-save/iptables-restore of this machine (root only). A chain prefix of
// its own keeps this test away from a real agent's CORRAL-* chains.
const canRun =
  process.getuid?.() === 0 &&
  Bun.which("iptables-restore") !== null &&
  Bun.spawnSync(["iptables-save", "-t", "nat"]).exitCode === 0;
const tag = Math.random().toString(36).slice(2, 6);
const prefix = `CT${tag}`;
const foreign = `${prefix}-foreign`;

/**
 * The lines of both tables that name our chains or the foreign marker, as iptables-save prints
 * them: Docker and other tests change the rest of the tables meanwhile.
 */
async function snapshot(): Promise<string> {
  const text = (await run("iptables-save", ["-t", "nat"])) + (await run("iptables-save", ["-t", "filter"]));
  return text
    .split("\n")
    .filter((l) => l.includes(prefix))
    .join("\n");
}

describe.skipIf(!canRun)("ports controller against the real iptables", () => {
  const ports = new PortsController({
    iptables: createIptables(),
    logger: createLogger("test"),
    prefix,
    bridgeInterface: `ct${tag}0`,
    serviceAddress: "169.254.169.250",
  });
  const one = hostStateFor([{ ports: ["18080:80/tcp", "127.0.0.1:18053:53/udp"] }]);
  const two = hostStateFor([{ ports: ["18080:80/tcp", "127.0.0.1:18053:53/udp"] }, { ports: ["80/tcp"] }]);

  afterAll(async () => {
    await ports.removeAll();
    await run("iptables", [
      "-t",
      "nat",
      "-D",
      "PREROUTING",
      "-m",
      "comment",
      "--comment",
      foreign,
      "-j",
      "RETURN",
    ]).catch(() => {});
    await run("iptables", ["-D", "FORWARD", "-m", "comment", "--comment", foreign, "-j", "RETURN"]).catch(
      () => {},
    );
  });

  test("applies, and a second pass changes nothing", async () => {
    expect((await ports.pass(one)).restored).toEqual(["nat", "filter"]);
    const applied = await snapshot();
    expect(applied).toContain(`-A PREROUTING -j ${prefix}-PREROUTING`);
    expect(applied).toContain(
      `-A ${prefix}-PREROUTING -d 127.0.0.1/32 -p udp -m addrtype --dst-type LOCAL -m udp --dport 18053`,
    );
    expect(applied).toContain(`-A ${prefix}-FORWARD -d 10.42.1.10/32 -o ct${tag}0 -p tcp -m tcp --dport 80`);
    // What we render is exactly what iptables-save prints, so an unchanged state restores nothing.
    expect((await ports.pass(one)).restored).toEqual([]);
    expect(await snapshot()).toBe(applied);
  });

  test("rules outside our chains are never touched", async () => {
    await run("iptables", [
      "-t",
      "nat",
      "-A",
      "PREROUTING",
      "-m",
      "comment",
      "--comment",
      foreign,
      "-j",
      "RETURN",
    ]);
    await run("iptables", ["-A", "FORWARD", "-m", "comment", "--comment", foreign, "-j", "RETURN"]);
    expect((await ports.pass(two)).restored).toEqual(["nat", "filter"]);
    expect((await ports.pass(one)).restored).toEqual(["nat", "filter"]);
    const after = await snapshot();
    expect(after).toContain(`-A PREROUTING -m comment --comment ${foreign} -j RETURN`);
    expect(after).toContain(`-A FORWARD -m comment --comment ${foreign} -j RETURN`);
    // The jumps were inserted once and are still the first rules.
    expect(after.split("\n").filter((l) => l === `-A PREROUTING -j ${prefix}-PREROUTING`).length).toBe(1);
  });

  test("a chain flushed or deleted by someone else is repaired in one pass", async () => {
    const good = await snapshot();
    await run("iptables", ["-t", "nat", "-F", `${prefix}-PREROUTING`]);
    await run("iptables", ["-t", "nat", "-F", `${prefix}-POSTROUTING`]);
    await run("iptables", ["-D", "FORWARD", "-j", `${prefix}-FORWARD`]);
    await run("iptables", ["-F", `${prefix}-FORWARD`]);
    await run("iptables", ["-X", `${prefix}-FORWARD`]);
    expect(await snapshot()).not.toBe(good);
    expect((await ports.pass(one)).restored).toEqual(["nat", "filter"]);
    const repaired = (await snapshot()).split("\n");
    // The deleted chain's jump comes back at the top, so compare the rule sets, not their order.
    expect(repaired.sort()).toEqual(good.split("\n").sort());
    expect((await ports.pass(one)).restored).toEqual([]);
  });

  test("removeAll takes our chains and jumps away and leaves the rest", async () => {
    await ports.removeAll();
    const left = await snapshot();
    expect(left).not.toContain(`${prefix}-PREROUTING`);
    expect(left).not.toContain(`${prefix}-FORWARD`);
    expect(left).toContain(foreign);
  });
});
