import { afterAll, beforeAll, expect, test } from "bun:test";
import { type HostState, hostStateSchema } from "@corral/api";
import { FakeAgent } from "../../../test/api/fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  until,
} from "../../../test/api/harness.ts";
import { type RunningServer, startServer } from "../server.ts";

let server: RunningServer;
let admin: Client;
let env: ProjectFixture;
let other: ProjectFixture;
let a: FakeAgent;
let b: FakeAgent;
let x: FakeAgent;

beforeAll(async () => {
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir: null, env: {} });
  admin = adminClient(server);
  env = await createProject(admin);
  // One test runs a host-network container: the admin allows it in this environment.
  expectStatus(
    await admin.put(`/v2-beta/projects/${env.id}`, { containerPolicy: { allowHostNetwork: true } }),
    200,
  );
  other = await createProject(admin);
  a = await FakeAgent.join(server.url, env.token);
  b = await FakeAgent.join(server.url, env.token);
  x = await FakeAgent.join(server.url, other.token);
});

afterAll(async () => {
  for (const agent of [a, b, x]) await agent.close();
  await server.stop();
});

/** The views an agent rebuilt from its hostState frames, checked with the view's schema. */
function states(agent: FakeAgent): HostState[] {
  return agent.views.map((v) => hostStateSchema.parse(v));
}

/** Container rows of every state: a refused create must add none. */
const containerRows = () => server.store.all("container").length;

const latest = (agent: FakeAgent) => states(agent).at(-1);

function create(body: Record<string, unknown>) {
  return env.client.post(`/v2-beta/projects/${env.id}/containers`, { imageUuid: "docker:busybox", ...body });
}

test("an agent gets its host's view after hello: its slice, the environment's hosts", async () => {
  const state = await until("a hostState frame", () => latest(a));
  expect(state.hostId).toBe(a.hostId);
  expect(state.environmentId).toBe(env.id);
  expect(state.network).toMatchObject({ cidr: "10.42.0.0/16", bridgeName: "corral-managed", mtu: 1500 });
  expect(state.network!.hostSubnet).toMatch(/^10\.42\.\d+\.0\/24$/);
  expect(state.network!.gateway).toBe(state.network!.hostSubnet.replace(".0/24", ".1"));
  expect(state.portRange).toEqual({ start: 49153, end: 65535 });
  const sb = await until("b's view", () => latest(b)?.network?.hostSubnet);
  expect(sb).not.toBe(state.network!.hostSubnet);
});

test("concurrent creates never share an address; all come from the host's slice", async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => create({ name: `c${i}`, requestedHostId: a.hostId })),
  );
  const slice = server.store.getByPublicId<{ hostSubnet: string }>("host", a.hostId)!.data.hostSubnet;
  const prefix = slice.replace(".0/24", ".");
  const ips = answers.map((r) => expectStatus(r, 201).body.primaryIpAddress as string);
  expect(new Set(ips).size).toBe(20);
  for (const ip of ips) expect(ip.startsWith(prefix)).toBe(true);
  expect(ips).not.toContain(`${prefix}0`);
  expect(ips).not.toContain(`${prefix}1`);
  // The agent is told the address, the bridge and the resolver in the create event's spec.
  const spec = server.store.all<{ managedIp: string }>("container", { projectId: env.id })[0]!;
  expect(spec.data.managedIp).toBe(ips[0]!);
});

test("the instance spec carries ipAddress, managedNetwork and the internal resolver", async () => {
  await until("the earlier creates to settle", () =>
    server.store.all("container", { projectId: env.id }).every((c) => c.state === "running"),
  );
  a.autoReply = false;
  const made = expectStatus(await create({ name: "spec1", requestedHostId: a.hostId }), 201).body;
  const event = await a.nextEvent("instance.create");
  const spec = event.data.spec as Record<string, unknown>;
  expect(spec.ipAddress).toBe(made.primaryIpAddress);
  expect(spec.managedNetwork).toMatchObject({ bridgeName: "corral-managed" });
  expect(spec.dns).toEqual(["169.254.169.250"]);
  expect(spec.dnsSearch).toEqual(["rancher.internal"]);
  a.reply(event.id, { containerId: made.id, dockerId: "dspec1", name: "spec1", state: "running" });
  a.autoReply = (await import("../../../test/api/fake-agent.ts")).dockerLike(a.containers);
  const host = expectStatus(
    await create({ name: "hostnet", networkMode: "host", requestedHostId: a.hostId }),
    201,
  );
  expect(host.body.primaryIpAddress).toBeNull();
});

test("requested_ip: taken or outside the slice is refused with 422 and nothing is written", async () => {
  const taken = expectStatus(
    await create({
      name: "pin-ok",
      requestedHostId: a.hostId,
      labels: { "io.rancher.container.requested_ip": "10.42.0.200" },
    }),
    201,
  );
  expect(taken.body.primaryIpAddress).toBe("10.42.0.200");
  const before = containerRows();
  const clash = await create({
    name: "pin-bad",
    requestedHostId: a.hostId,
    labels: { "io.rancher.container.requested_ip": "10.42.0.200" },
  });
  expect(clash.status).toBe(422);
  expect(clash.body.message).toMatch(/already in use/);
  const outside = await create({
    name: "pin-out",
    requestedHostId: a.hostId,
    labels: { "io.rancher.container.requested_ip": "192.168.1.5" },
  });
  expect(outside.status).toBe(422);
  expect(outside.body.message).toMatch(/not assignable/);
  expect(containerRows()).toBe(before);
});

test("a removed container's address is freed and given to the next container", async () => {
  const made = expectStatus(await create({ name: "short", requestedHostId: b.hostId }), 201).body;
  expectStatus(await env.client.post(`/v2-beta/projects/${env.id}/containers/${made.id}?action=remove`), 202);
  await until(
    "removed",
    async () =>
      (await env.client.get(`/v2-beta/projects/${env.id}/containers/${made.id}`)).body.state === "removed",
  );
  const next = expectStatus(await create({ name: "next", requestedHostId: b.hostId }), 201).body;
  expect(next.primaryIpAddress).toBe(made.primaryIpAddress);
});

test("containers reach every host of the environment, and no other environment's", async () => {
  const view = await until(
    "c0 in b's view",
    () => latest(b)?.containers.find((c) => c.name === "c0") && latest(b),
  );
  const c0 = view.containers.find((c) => c.name === "c0")!;
  expect(c0).toMatchObject({ hostId: a.hostId, serviceId: null, launchConfigName: null });
  expect(c0.ip).toMatch(/^10\.42\./);
  expect(view.hosts.map((h) => h.id).sort()).toEqual([a.hostId, b.hostId].sort());
  const theirs = latest(x)!;
  expect(theirs.environmentId).toBe(other.id);
  expect(theirs.containers).toEqual([]);
  expect(theirs.hosts.map((h) => h.id)).toEqual([x.hostId]);
  expect(JSON.stringify(states(x))).not.toContain(a.hostId);
});

test("a health change reaches the agents within a second", async () => {
  const c = await until("c1 running", async () => {
    const r = (await env.client.get(`/v2-beta/projects/${env.id}/containers?name=c1`)).body.data[0];
    return r?.state === "running" && r;
  });
  const count = states(b).length;
  const started = performance.now();
  a.send({ type: "healthEvent", containerId: c.id, healthState: "unhealthy", reason: "test" });
  const seen = await until(
    "the health change in b's view",
    () =>
      states(b)
        .slice(count)
        .find((s) => s.containers.find((k) => k.id === c.id)?.healthState === "unhealthy"),
    1000,
    5,
  );
  expect(performance.now() - started).toBeLessThan(1000);
  expect(seen.version).toBeGreaterThan(states(b)[count - 1]!.version);
});

test("after the snapshot, changes come as deltas; a resync asks for a snapshot again", async () => {
  const kinds = () =>
    a.frames.map((f) => (f as { type: string }).type).filter((t) => t.startsWith("hostState"));
  expect(kinds()[0]).toBe("hostState");
  expect(kinds().slice(1)).toContain("hostState.delta");
  const before = kinds().length;
  a.send({ type: "hostState.resync", seq: null });
  await until("a snapshot", () => kinds().slice(before).includes("hostState"));
  // The view rebuilt from the new snapshot is the one the deltas had built.
  const views = a.views;
  const [prev, last] = [views.at(-2)!, views.at(-1)!];
  expect(last.containers.map((c) => c.id).sort()).toEqual(prev.containers.map((c) => c.id).sort());
});

test("a frame the agent could not take is counted in /metrics and shown on its host", async () => {
  const report = {
    type: "frameRejected",
    reason: "outOfSequence",
    frameType: "hostState.delta",
    bytes: 312,
    detail: "delta 9 after 7",
  };
  a.send(report);
  a.send(report);
  const host = await until("the host to show it", async () => {
    const h = (await env.client.get(`/v2-beta/projects/${env.id}/hosts/${a.hostId}`)).body;
    return h.hostStateSync?.rejectedFrames === 2 && h;
  });
  expect(host.hostStateSync.lastRejected).toMatchObject({
    reason: "outOfSequence",
    frameType: "hostState.delta",
    bytes: 312,
    detail: "delta 9 after 7",
  });
  const text = String((await admin.get("/metrics")).body);
  expect(text).toMatch(/^corral_agent_frames_rejected_total\{reason="outOfSequence"\} 2$/m);
  expect(text).toMatch(/^corral_host_state_bytes_sent_total\{type="hostState"\} \d+$/m);
  expect(a.closeInfo).toBeNull();
});
