// The network view of a 10,000-container environment: sent whole, it was over the 4 MiB frame limit
// (agents dropped it and their view stopped updating). Now each host gets a snapshot in parts well
// under the limit, then deltas of a few hundred bytes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { maxFrameBytes, parseId, type StateContainer } from "@corral/api";
import { type LargeEnvironment, largeEnvironment } from "../../testing/large-environment.ts";
import { RecordingSink } from "../../testing/state-sink.ts";
import { hostStateFrom, loadProjectRows } from "./host-state.ts";
import { StatePublisher, statePartBytes } from "./publisher.ts";

let env: LargeEnvironment;
let sink: RecordingSink;
let publisher: StatePublisher;
/** The hosts whose agents are connected (parsing every frame as an agent does costs time). */
let connected: string[];

beforeAll(() => {
  env = largeEnvironment();
  connected = env.hostIds.slice(0, 4);
  sink = new RecordingSink(connected);
  publisher = new StatePublisher(env.store, sink, 10);
}, 60_000);

afterAll(() => {
  publisher.stop();
  env.store.db.close();
});

async function until<T>(what: string, probe: () => T | undefined | null | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Frames sent from now on. */
function mark() {
  const from = sink.frames.length;
  return () => sink.frames.slice(from);
}

/** Another host's container as a view holds it: every label but Corral's own, no links nor dns. */
const summaryFields = (c: StateContainer) => ({
  ...c,
  labels: Object.fromEntries(Object.entries(c.labels).filter(([k]) => !k.startsWith("io.corral."))),
  links: {},
  dns: [],
  dnsSearch: [],
});

test("before: the whole view of 10,000 containers is over the frame limit", () => {
  const whole = hostStateFrom(loadProjectRows(env.store, env.projectId), env.hostIds[0]!, 1);
  const bytes = Buffer.byteLength(JSON.stringify(whole));
  console.log(`whole view, 10,000 containers: ${bytes} bytes`);
  expect(whole.containers).toHaveLength(10_000);
  expect(bytes).toBeGreaterThan(maxFrameBytes);
}, 60_000);

test("a snapshot comes in parts, each a quarter of the limit at most; the view is the whole one", () => {
  const host = env.hostIds[0]!;
  const sent = mark();
  publisher.hello(host);
  const frames = sent().filter((f) => f.hostId === host);
  const total = frames.reduce((n, f) => n + f.bytes, 0);
  console.log(
    `snapshot: ${frames.length} frames, ${total} bytes, largest ${Math.max(...frames.map((f) => f.bytes))}`,
  );
  expect(frames[0]!.frame.type).toBe("hostState");
  for (const f of frames) expect(f.bytes).toBeLessThanOrEqual(statePartBytes);
  expect(total).toBeLessThan(maxFrameBytes);

  const whole = hostStateFrom(loadProjectRows(env.store, env.projectId), host, 1);
  const view = sink.views.get(host)!;
  expect(view.containers).toHaveLength(10_000);
  const byId = new Map(view.containers.map((c) => [c.id, c]));
  for (const c of whole.containers) {
    // Its own containers whole; other hosts' without Corral's own labels, links and dns.
    expect(byId.get(c.id)).toEqual(c.hostId === host ? c : summaryFields(c));
  }
  expect(view.services).toEqual(whole.services);
  expect(view.hosts).toEqual(whole.hosts);
  expect(view.network).toEqual(whole.network);
  expect(view.ipsec ?? null).toEqual(whole.ipsec ?? null);
}, 60_000);

test("one container's health change is a delta of a few hundred bytes to each host", async () => {
  for (const h of connected.slice(1)) publisher.hello(h);
  const target = env.containerIds[0]!;
  const sent = mark();
  env.store.update(parseId("container", target)!, { data: { healthState: "unhealthy" } });
  const deltas = await until("a delta to every host", () => {
    const d = sent().filter((f) => f.frame.type === "hostState.delta");
    return d.length === connected.length && d;
  });
  const sizes = deltas.map((d) => d.bytes);
  console.log(
    `one health change: ${deltas.length} deltas, ${Math.min(...sizes)}-${Math.max(...sizes)} bytes`,
  );
  for (const d of deltas) {
    expect(d.bytes).toBeLessThan(2048);
    const frame = d.frame as Extract<typeof d.frame, { type: "hostState.delta" }>;
    expect(frame.containers?.upsert.map((c) => [c.id, c.healthState])).toEqual([[target, "unhealthy"]]);
  }
  for (const h of connected)
    expect(sink.views.get(h)!.containers.find((c) => c.id === target)?.healthState).toBe("unhealthy");
}, 60_000);

test("a change only the container's own host sees goes to that host alone", async () => {
  const target = env.containerIds[1]!; // on the second host
  const row = env.store.get<{ dnsSearch?: string[]; hostId: string }>(parseId("container", target)!)!;
  const sent = mark();
  env.store.update(row.id, { data: { dnsSearch: ["example.internal"] } });
  const frames = await until("a delta", () => sent().length > 0 && sent());
  await Bun.sleep(100);
  expect(frames.map((f) => f.hostId)).toEqual([row.data.hostId]);
  expect(sink.views.get(row.data.hostId)!.containers.find((c) => c.id === target)!.dnsSearch).toEqual([
    "example.internal",
  ]);
}, 60_000);

test("a removed container is removed from every view", async () => {
  const target = env.containerIds[2]!;
  const sent = mark();
  env.store.update(parseId("container", target)!, { state: "removed" });
  await until("removals", () => sent().filter((f) => f.frame.type === "hostState.delta").length === 4);
  for (const h of connected) expect(sink.views.get(h)!.containers.some((c) => c.id === target)).toBe(false);
}, 60_000);

test("a change too large for a delta is sent as a snapshot; a new session gets nothing before hello", async () => {
  const host = connected[2]!;
  sink.connect(host); // the agent reconnected: its old session's deltas must not reach the new one
  const sent = mark();
  env.store.transaction(() => {
    for (const id of env.containerIds.slice(3, 6003))
      env.store.update(parseId("container", id)!, { data: { healthState: "initializing" } });
  });
  await until("frames to the other hosts", () => sent().some((f) => f.hostId === connected[3]));
  await Bun.sleep(100);
  expect(sent().filter((f) => f.hostId === host)).toEqual([]);
  const other = sent().filter((f) => f.hostId === connected[3]);
  expect(other[0]!.frame.type).toBe("hostState");
  for (const f of other) expect(f.bytes).toBeLessThanOrEqual(statePartBytes);
  publisher.hello(host);
  expect(sink.views.get(host)!.containers.find((c) => c.id === env.containerIds[10])?.healthState).toBe(
    "initializing",
  );
  expect(publisher.seqOf(host)).toBe(sink.to(host).at(-1)!.frame.seq);
}, 60_000);

test("after all those changes, each view is still the store's view (own containers whole)", async () => {
  const svc = env.store.getByPublicId("service", env.serviceIds[3]!)!;
  const sent = mark();
  env.store.update(svc.id, { data: { scale: 11 } }); // a service change: the table is built again
  await until(
    "deltas",
    () => sent().filter((f) => f.frame.type === "hostState.delta").length === connected.length,
  );
  for (const host of connected) {
    const whole = hostStateFrom(loadProjectRows(env.store, env.projectId), host, 1);
    const view = sink.views.get(host)!;
    const byId = new Map(view.containers.map((c) => [c.id, c]));
    expect(view.containers).toHaveLength(whole.containers.length);
    for (const c of whole.containers)
      expect(byId.get(c.id)).toEqual(c.hostId === host ? c : summaryFields(c));
    expect(view.services).toEqual(whole.services);
  }
}, 60_000);

test("a service's own change is a small delta; a renamed service still leaves every view right", async () => {
  const svc = env.store.getByPublicId("service", env.serviceIds[4]!)!;
  const sent = mark();
  env.store.update(svc.id, { state: "updating-active", data: { scale: 12 } });
  const deltas = await until("deltas", () => {
    const d = sent().filter((f) => f.frame.type === "hostState.delta");
    return d.length === connected.length && d;
  });
  for (const d of deltas) {
    const frame = d.frame as Extract<typeof d.frame, { type: "hostState.delta" }>;
    expect(frame.services?.upsert.map((s) => [s.id, s.scale, s.state])).toEqual([
      [env.serviceIds[4]!, 12, "updating-active"],
    ]);
    expect(frame.containers).toBeUndefined();
    expect(d.bytes).toBeLessThan(4096);
  }
  const renamed = mark();
  env.store.update(svc.id, { name: "renamed-svc" });
  // Deltas go out a few hosts at a time: every host's must have arrived.
  await until(
    "deltas after the rename",
    () => new Set(renamed().map((f) => f.hostId)).size === connected.length,
  );
  for (const host of connected) {
    const whole = hostStateFrom(loadProjectRows(env.store, env.projectId), host, 1);
    expect(sink.views.get(host)!.services).toEqual(whole.services);
    const mine = whole.containers.filter((c) => c.serviceId === env.serviceIds[4]);
    const seen = new Map(sink.views.get(host)!.containers.map((c) => [c.id, c]));
    for (const c of mine) expect(seen.get(c.id)!.serviceName).toBe("renamed-svc");
  }
}, 60_000);

test("a host's own change is patched in: its entry in every view, nothing else", async () => {
  const host = env.store.getByPublicId<{ labels?: Record<string, string> }>("host", env.hostIds[5]!)!;
  const sent = mark();
  env.store.update(host.id, { data: { labels: { ...host.data.labels, zone: "b" } } });
  const deltas = await until("deltas", () => {
    const d = sent().filter((f) => f.frame.type === "hostState.delta");
    return d.length === connected.length && d;
  });
  for (const d of deltas) {
    const frame = d.frame as Extract<typeof d.frame, { type: "hostState.delta" }>;
    expect(frame.hosts?.upsert.map((h) => [h.id, h.labels.zone])).toEqual([[env.hostIds[5]!, "b"]]);
    expect(frame.containers).toBeUndefined();
  }
  for (const h of connected)
    expect(sink.views.get(h)!.hosts).toEqual(
      hostStateFrom(loadProjectRows(env.store, env.projectId), h, 1).hosts,
    );
}, 60_000);
