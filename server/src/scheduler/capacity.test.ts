import { expect, test } from "bun:test";
import { summarizeReasons } from "./reasons.ts";
import { Scheduler } from "./scheduler.ts";
import type { SchedHost } from "./types.ts";

function host(id: string, inUse: number): SchedHost {
  return {
    id,
    name: `host-${id}`,
    state: "active",
    agentConnected: true,
    labels: {},
    ips: [],
    memoryTotal: 0,
    milliCpuTotal: 0,
    addresses: { capacity: 253, inUse },
  };
}

const unit = (n: number, addresses = 1) => ({ name: `s-web-${n}`, labels: {}, ports: [], addresses });

test("a host takes units while its slice has addresses, then the scheduler says it is full", () => {
  const sched = new Scheduler([host("1h1", 250)]);
  for (let i = 0; i < 3; i++) expect(sched.place(unit(i)).hostId).toBe("1h1");
  const full = sched.place(unit(3));
  expect(full.hostId).toBeNull();
  if (full.hostId !== null) return;
  expect(summarizeReasons(full.reasons)).toBe(
    "no host fits: host-1h1: no free container address (253 of 253 in use)",
  );
});

test("a unit of two managed members needs two free addresses; a full host's units go elsewhere", () => {
  const sched = new Scheduler([host("1h1", 252), host("1h2", 0)]);
  expect(sched.place(unit(1, 2)).hostId).toBe("1h2");
  expect(sched.place(unit(2, 1)).hostId).toBe("1h1");
  expect(sched.place(unit(3, 1)).hostId).toBe("1h2");
});

test("releasing a unit placed in the same pass gives its addresses back; units that need none ignore it", () => {
  const sched = new Scheduler([host("1h1", 253)]);
  expect(sched.place(unit(1, 0)).hostId).toBe("1h1");
  const roomy = new Scheduler([host("1h1", 252)]);
  const placed = roomy.place(unit(1));
  expect(placed.hostId).toBe("1h1");
  expect(roomy.place(unit(2)).hostId).toBeNull();
  if (placed.hostId !== null) roomy.release(placed.instanceId);
  expect(roomy.place(unit(3)).hostId).toBe("1h1");
});

test("hosts without an address count (older callers) have no address limit", () => {
  const { addresses: _a, ...plain } = host("1h1", 0);
  const sched = new Scheduler([plain]);
  for (let i = 0; i < 300; i++) expect(sched.place(unit(i)).hostId).toBe("1h1");
});
