import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { HostLiveness } from "./liveness.ts";

const timings = { pingIntervalMs: 200, reconnectingAfterMs: 600, disconnectedAfterMs: 1500 };
let liveness: HostLiveness | null = null;

afterEach(() => liveness?.stop());

function setup() {
  const store = new Store(openDatabase(":memory:"));
  const row = store.insert("host", {
    projectId: "1a1",
    state: "active",
    data: { agentState: "registering" },
  });
  const id = formatId("host", row.id);
  const silenced: string[] = [];
  liveness = new HostLiveness(store, timings, (hostId) => silenced.push(hostId));
  const state = () => store.get<HostFields>(row.id)!.data.agentState;
  return { id, liveness, state, silenced };
}

test("a silent host goes reconnecting, then disconnected, and its session is dropped", () => {
  const { id, liveness, state, silenced } = setup();
  const t0 = Date.now();
  liveness.seen(id);
  expect(state()).toBe("active");
  liveness.sweep(t0 + 300);
  expect(state()).toBe("active");
  liveness.sweep(t0 + 700);
  expect(state()).toBe("reconnecting");
  liveness.sweep(t0 + 1100);
  liveness.sweep(t0 + 1600);
  expect(state()).toBe("disconnected");
  expect(silenced).toEqual([id]);
});

test("a sweep that runs late (the server was starved) changes nothing; the next one on time does", () => {
  const { id, liveness, state, silenced } = setup();
  const t0 = Date.now();
  liveness.seen(id);
  // The process was paused for two seconds: pings may be waiting, unread, in the socket.
  liveness.sweep(t0 + 2000);
  expect(state()).toBe("active");
  expect(silenced).toEqual([]);
  // A ping read right after the pause keeps the host active.
  liveness.seen(id, t0 + 2100);
  liveness.sweep(t0 + 2200);
  expect(state()).toBe("active");
  // Real silence is still seen: sweeps on time after it mark the host.
  for (let t = t0 + 2400; t <= t0 + 2800; t += 200) liveness.sweep(t);
  expect(state()).toBe("reconnecting");
});
