// CorralOS upgrades through the API, with the real hub: a host reports its system at hello, the
// host's `osupgrade` sends host.osupgrade to its agent, and the rollout ends when the agent comes
// back from a new boot, healthy on the written build. Non-CorralOS hosts and bad input get 422s.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { CorralOsFacts } from "@corral/api";
import type { RunningServer } from "@corral/server";
import { FakeAgent, registerAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  hostFacts,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
const agents: FakeAgent[] = [];

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  for (const a of agents) await a.close();
  await server.stop();
});

function corralOs(
  version: string,
  bootId: string,
  outcome: "healthy" | "trial-boot" = "healthy",
): CorralOsFacts {
  return {
    version,
    slot: bootId === "boot-1" ? "A" : "B",
    bootId,
    installed: true,
    otherSlot: { slot: bootId === "boot-1" ? "B" : "A", version: null },
    trial: outcome === "healthy" ? null : { to: "B", version, status: "trying" },
    lastBoot: { outcome, slot: "B", version, at: "2026-12-02T10:00:00Z" },
  };
}

/** Connects an agent (a new one, or one coming back) and says hello with these CorralOS facts. */
async function connect(agent: FakeAgent, os: CorralOsFacts | null): Promise<FakeAgent> {
  // Events are answered by the test, as the real agent would.
  agent.autoReply = false;
  await agent.connect();
  agent.send({
    type: "hello",
    agentVersion: "test",
    facts: { ...hostFacts(), os: os ? `CorralOS ${os.version}` : "Debian GNU/Linux 12", corralOs: os },
    containers: [],
  });
  agents.push(agent);
  return agent;
}

test("a CorralOS host is upgraded from the API and the rollout waits for its healthy return", async () => {
  const first = await connect(
    new FakeAgent(server.url, await registerAgent(server.url, project.token)),
    corralOs("0.1.0", "boot-1"),
  );
  const hostUrl = `/v2-beta/projects/${project.id}/hosts/${first.hostId}`;
  const host = await until("the host's CorralOS facts", async () => {
    const h = expectStatus(await admin.get(hostUrl), 200).body;
    return h.info?.corralOs ? h : null;
  });
  expect(host.info.corralOs).toMatchObject({ version: "0.1.0", slot: "A" });
  expect(host.info.osInfo).toEqual({
    operatingSystem: "CorralOS 0.1.0",
    kernelVersion: "6.1.0",
    dockerVersion: "24.0.0",
  });
  expect(host.actions.osupgrade).toBe(`${server.url}${hostUrl}?action=osupgrade`);

  expectStatus(await admin.post(`${hostUrl}?action=osupgrade`, { version: "0.2.0" }), 202);
  const event = await first.nextEvent("host.osupgrade");
  expect(event.data).toEqual({ version: "0.2.0" });
  first.reply(event.id, { version: "0.2.0", slot: "B", log: ["verified 0.2.0"] });
  await until("rebooting", async () => (await admin.get(hostUrl)).body.osUpgrade?.state === "rebooting");
  await first.close();

  // The trial boot: connected on 0.2.0, not yet healthy; the rollout keeps waiting.
  const trial = await connect(
    new FakeAgent(server.url, first.registration),
    corralOs("0.2.0", "boot-2", "trial-boot"),
  );
  await until(
    "the trial facts",
    async () => (await admin.get(hostUrl)).body.info.corralOs.bootId === "boot-2",
  );
  expect((await admin.get(`/v2-beta/projects/${project.id}`)).body.osRollout.state).toBe("running");
  await trial.close();
  await connect(new FakeAgent(server.url, first.registration), corralOs("0.2.0", "boot-3"));
  const done = await until("the rollout to end", async () => {
    const p = (await admin.get(`/v2-beta/projects/${project.id}`)).body;
    return p.osRollout.state !== "running" ? p.osRollout : null;
  });
  expect(done).toMatchObject({ state: "done", hostIds: [first.hostId], request: { version: "0.2.0" } });
  expect((await admin.get(hostUrl)).body.osUpgrade).toMatchObject({
    state: "done",
    target: "0.2.0",
    fromVersion: "0.1.0",
  });
  const audit = expectStatus(await admin.get(`/v2-beta/auditlogs?resourceId=${first.hostId}`), 200).body.data;
  const kinds = audit.map(
    (a: { eventType: string; responseCode: number }) => `${a.eventType} ${a.responseCode}`,
  );
  expect(kinds).toEqual(expect.arrayContaining(["api.host.osupgrade 200", "os.upgrade.host 200"]));
});

test("a host that is not CorralOS, and garbage input, get 422 and start nothing", async () => {
  const other = await connect(
    new FakeAgent(server.url, await registerAgent(server.url, project.token)),
    null,
  );
  const hostUrl = `/v2-beta/projects/${project.id}/hosts/${other.hostId}`;
  await until("the host's facts", async () => (await admin.get(hostUrl)).body.info?.corralOs === null);
  const refused = expectStatus(
    await admin.post(`${hostUrl}?action=osupgrade`, { version: "0.2.0" }),
    422,
  ).body;
  expect(refused.message).toContain("does not run CorralOS (it runs Debian GNU/Linux 12)");
  for (const garbage of [
    {},
    { version: "a b" },
    { version: "1", file: "/var/lib/corral/x" },
    { version: "1", batchSize: 3 },
  ])
    expectStatus(await admin.post(`/v2-beta/projects/${project.id}?action=osupgrade`, garbage), 422);
  expect(other.events.filter((e) => e.name === "host.osupgrade")).toEqual([]);
});
