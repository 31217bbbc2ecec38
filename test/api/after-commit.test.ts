// Nothing leaves the server for a write that did not commit: with the audit insert failing (a
// trigger makes SQLite refuse it), every verb family answers 500, leaves the rows as they were and
// sends its host's agent nothing. A sentinel action after each probe proves the channel was live:
// events on one websocket arrive in order, so anything the refused verb had sent comes first.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;
let base: string;
let sentinelId: string;

const compose = (env: string) =>
  `services:\n  web:\n    image: corral/busybox\n    environment:\n      V: "${env}"\n    command: sleep 1000\n`;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  base = `/v2-beta/projects/${project.id}`;
  sentinelId = (await runningContainer("sentinel")).id;
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

async function runningContainer(name: string) {
  const c = expectStatus(
    await admin.post(`${base}/containers`, { name, imageUuid: "docker:corral/busybox" }),
    201,
  ).body;
  await until(
    `${name} running`,
    async () => (await admin.get(`${base}/containers/${c.id}`)).body.state === "running",
  );
  return c;
}

/** Names of the events the server sent the agent so far. */
function sent(): string[] {
  return agent.frames
    .filter((f) => (f as { type?: string }).type === "event")
    .map(
      (f) => `${(f as { name: string }).name}:${JSON.stringify((f as { data: unknown }).data).slice(0, 200)}`,
    );
}

function auditDown(): void {
  server.store.db.exec(
    "CREATE TRIGGER audit_down BEFORE INSERT ON resource WHEN NEW.type = 'auditLog' BEGIN SELECT RAISE(ABORT, 'audit store down'); END",
  );
}

function auditUp(): void {
  server.store.db.exec("DROP TRIGGER IF EXISTS audit_down");
}

/**
 * Runs `request` with the audit insert failing and asserts: 500, no row changed, and no event sent
 * before the sentinel's (an action that does send one, once the audit works again).
 */
async function refusedWithoutEffects(request: () => Promise<{ status: number; body: unknown }>) {
  const rows = rowsFingerprint(server);
  const before = sent().length;
  auditDown();
  let answer: { status: number; body: unknown };
  try {
    answer = await request();
  } finally {
    auditUp();
  }
  expect(answer.status).toBe(500);
  expect(rowsFingerprint(server)).toBe(rows);
  expectStatus(await admin.post(`${base}/containers/${sentinelId}?action=restart`), 202);
  await until("the sentinel's restart event", () =>
    sent()
      .slice(before)
      .some((e) => e.startsWith("instance.restart")),
  );
  const after = sent().slice(before);
  expect(after).toHaveLength(1);
  expect(after[0]).toContain(sentinelId);
  await until(
    "the sentinel running again",
    async () => (await admin.get(`${base}/containers/${sentinelId}`)).body.state === "running",
  );
}

test("a container create that rolls back sends nothing", async () => {
  await refusedWithoutEffects(() =>
    admin.post(`${base}/containers`, { name: "ghost", imageUuid: "docker:corral/busybox" }),
  );
});

test("container start, stop, restart and remove that roll back send nothing", async () => {
  const c = await runningContainer("victim");
  for (const action of ["stop", "restart", "remove"])
    await refusedWithoutEffects(() => admin.post(`${base}/containers/${c.id}?action=${action}`));
  expectStatus(await admin.post(`${base}/containers/${c.id}?action=stop`), 202);
  await until(
    "victim stopped",
    async () => (await admin.get(`${base}/containers/${c.id}`)).body.state === "stopped",
  );
  await refusedWithoutEffects(() => admin.post(`${base}/containers/${c.id}?action=start`));
  await refusedWithoutEffects(() => admin.del(`${base}/containers/${c.id}`));
});

test("service and stack verbs that roll back send nothing", async () => {
  const stack = expectStatus(
    await admin.post(`${base}/stacks`, { name: "shop", dockerCompose: compose("1") }),
    201,
  ).body;
  const service = await until("the web service", async () => {
    const list = (await admin.get(`${base}/services?stackId=${stack.id}`)).body.data;
    return list.find((s: { name: string; state: string }) => s.name === "web" && s.state === "active");
  });
  const svc = `${base}/services/${service.id}`;
  // The probes compare every row: let the orchestrator's health roll-up settle first.
  await until("web healthy", async () => {
    const [s, st] = [(await admin.get(svc)).body, (await admin.get(`${base}/stacks/${stack.id}`)).body];
    return s.healthState === "healthy" && s.currentScale === 1 && st.healthState === "healthy";
  });
  await until(
    "the environment healthy",
    async () => (await admin.get(`/v2-beta/projects/${project.id}`)).body.healthState === "healthy",
  );
  await refusedWithoutEffects(() => admin.put(svc, { scale: 3 }));
  await refusedWithoutEffects(() => admin.post(`${svc}?action=restart`, { rollingRestartStrategy: {} }));
  const launchConfig = { ...service.launchConfig, environment: { V: "2" } };
  await refusedWithoutEffects(() =>
    admin.post(`${svc}?action=upgrade`, {
      inServiceStrategy: { launchConfig, batchSize: 1, intervalMillis: 0 },
    }),
  );
  await refusedWithoutEffects(() =>
    admin.post(`${base}/stacks/${stack.id}?action=upgrade`, { dockerCompose: compose("3") }),
  );

  // Finish and roll back need an upgraded stack: upgrade it for real first.
  expectStatus(
    await admin.post(`${base}/stacks/${stack.id}?action=upgrade`, { dockerCompose: compose("4") }),
    202,
  );
  await until("the service upgraded", async () => (await admin.get(svc)).body.state === "upgraded", 15_000);
  for (const action of ["finishupgrade", "rollback"]) {
    await refusedWithoutEffects(() => admin.post(`${base}/stacks/${stack.id}?action=${action}`));
    await refusedWithoutEffects(() => admin.post(`${svc}?action=${action}`));
  }
  await refusedWithoutEffects(() => admin.del(`${base}/stacks/${stack.id}`));
}, 60_000);

test("a host evacuation that rolls back sends nothing", async () => {
  await refusedWithoutEffects(() => admin.post(`${base}/hosts/${agent.hostId}?action=evacuate`));
});

test("the hub refuses to send inside an open transaction", async () => {
  const before = sent().length;
  const outcome = server.store.transaction(() =>
    server.hub.dispatch(agent.hostId, "instance.restart", { containerId: sentinelId }).then(
      () => "sent",
      (e: Error) => e.message,
    ),
  );
  expect(await outcome).toMatch(/inside an open transaction/);
  expect(sent().length).toBe(before);
});

test("effects queued in a transaction run once after commit and never after a rollback", () => {
  const ran: string[] = [];
  server.store.transaction(() => {
    server.store.afterCommit(() => ran.push("committed"));
    expect(ran).toEqual([]);
  });
  expect(() =>
    server.store.transaction(() => {
      server.store.afterCommit(() => ran.push("rolled back"));
      throw new Error("undo");
    }),
  ).toThrow("undo");
  server.store.afterCommit(() => ran.push("outside"));
  expect(ran).toEqual(["committed", "outside"]);
});
