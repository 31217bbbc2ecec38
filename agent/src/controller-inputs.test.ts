import { describe, expect, test } from "bun:test";
import { hostStateFor } from "../testing/ports-state.ts";
import { hostStateInput } from "./controller-inputs.ts";
import { HostStateBus } from "./host-state-bus.ts";
import { portsPart } from "./ports/index.ts";

/** Publishes each view and lets the bus hand it over before the next. */
async function publishAll(bus: HostStateBus, views: ReturnType<typeof hostStateFor>[]): Promise<void> {
  for (const view of views) {
    bus.publish(view);
    await Bun.sleep(0);
  }
}

describe("hostStateInput", () => {
  test("without a part, every view kicks", async () => {
    const bus = new HostStateBus();
    let kicks = 0;
    hostStateInput(bus).watch(() => kicks++);
    const view = hostStateFor([]);
    await publishAll(bus, [view, { ...view, version: 2 }, { ...view, version: 3 }]);
    expect(kicks).toBe(3);
  });

  test("with a part, only views that change it kick; the first always does", async () => {
    const bus = new HostStateBus();
    let kicks = 0;
    hostStateInput(bus, (s) => s.network).watch(() => kicks++);
    const view = hostStateFor([]);
    const network = view.network!;
    await publishAll(bus, [
      view,
      hostStateFor([{ state: "creating" }], { version: 2 }),
      hostStateFor([{ state: "running" }], { version: 3 }),
    ]);
    expect(kicks).toBe(1);
    await publishAll(bus, [hostStateFor([], { version: 4, network: { ...network, mtu: 1400 } })]);
    expect(kicks).toBe(2);
    await publishAll(bus, [hostStateFor([], { version: 5, network: null })]);
    expect(kicks).toBe(3);
  });

  test("a listener added after a view starts from it", async () => {
    const bus = new HostStateBus();
    bus.publish(hostStateFor([]));
    let kicks = 0;
    hostStateInput(bus, (s) => s.network).watch(() => kicks++);
    await Bun.sleep(0);
    expect(kicks).toBe(1);
  });
});

describe("portsPart", () => {
  test("a container without ports, or on another host, leaves it as it was", () => {
    const before = JSON.stringify(portsPart(hostStateFor([{ ports: ["80:80/tcp"] }])));
    const withPlain = hostStateFor([
      { ports: ["80:80/tcp"] },
      { ports: [] },
      { hostId: "1h2", ports: ["81:81/tcp"] },
    ]);
    expect(JSON.stringify(portsPart(withPlain))).toBe(before);
  });

  test("a publishing container's state, address or ports change it", () => {
    const base = JSON.stringify(portsPart(hostStateFor([{ ports: ["80:80/tcp"], state: "creating" }])));
    for (const change of [{ state: "running" }, { ip: "10.42.1.99" }, { ports: ["8080:80/tcp"] }]) {
      const changed = hostStateFor([{ ports: ["80:80/tcp"], state: "creating", ...change }]);
      expect(JSON.stringify(portsPart(changed))).not.toBe(base);
    }
    const range = hostStateFor([{ ports: ["80:80/tcp"], state: "creating" }], {
      portRange: { start: 40000, end: 41000 },
    });
    expect(JSON.stringify(portsPart(range))).not.toBe(base);
  });
});
