// Agent registration and liveness: bad registration tokens get 401; re-registering with the same uuid
// and the host's own agent key keeps the host id and invalidates the previous agent key (without
// that key it is refused: test/abuse/credentials.test.ts); only agent keys may open the agent
// socket; a host's agentState goes active -> reconnecting -> disconnected when its agent falls
// silent or goes away, and back to active when it returns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent, registerAgent } from "./fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(() => server.stop());

const register = (body: unknown) => admin.as(null).post("/v2-beta/register", body);

describe("registration", () => {
  test("a token that is unknown, of a deactivated project or of a removed project gets 401", async () => {
    const inactive = await createProject(admin);
    expectStatus(await admin.post(`/v2-beta/projects/${inactive.id}?action=deactivate`), 200);
    const removed = await createProject(admin);
    expectStatus(await admin.del(`/v2-beta/projects/${removed.id}`), 200);
    const before = nonAuditRows(server);
    for (const token of [
      "ABCDEFGHJKLMNPQRSTUVWXYZ23456789ABCDEFGH",
      inactive.token,
      removed.token,
      ` ${project.token}`,
    ]) {
      const res = await register({ token, hostname: "h", uuid: "uuid-bad-token-1" });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ type: "error", status: 401, code: "Unauthorized" });
    }
    expect(nonAuditRows(server)).toBe(before);
  });

  test("registration answers with the host, the agent and a key pair", async () => {
    const res = expectStatus(
      await register({ token: project.token, hostname: "h1", uuid: "uuid-answer-0001" }),
      201,
    );
    expect(res.body).toMatchObject({ type: "agentRegistration", projectId: project.id });
    expect(res.body.hostId).toMatch(/^1h\d+$/);
    expect(res.body.agentId).toMatch(/^1a\d+$/);
    const host = expectStatus(await admin.get(`/v2-beta/hosts/${res.body.hostId}`), 200).body;
    expect(host).toMatchObject({ hostname: "h1", uuid: "uuid-answer-0001", agentState: "registering" });
  });

  test("re-registering with the same uuid keeps the host id and invalidates the previous key", async () => {
    const first = await registerAgent(server.url, project.token, { uuid: "uuid-rejoin-0001" });
    const firstClient = admin.as(basic(first.accessKey, first.secretKey));
    expect((await firstClient.get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(200);
    const old = new FakeAgent(server.url, first);
    await old.connect();
    old.hello();

    const second = await registerAgent(server.url, project.token, {
      uuid: "uuid-rejoin-0001",
      hostname: "renamed",
      rejoin: first,
    });
    expect(second.hostId).toBe(first.hostId);
    expect(second.agentId).toBe(first.agentId);
    expect(second.accessKey).not.toBe(first.accessKey);
    expect((await admin.get(`/v2-beta/hosts/${first.hostId}`)).body.hostname).toBe("renamed");
    expect((await firstClient.get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(401);
    await expect(new FakeAgent(server.url, first).connect()).rejects.toThrow();

    // Re-registering revoked the old key, so its open connection was closed at once (4001).
    expect((await old.closed()).code).toBe(4001);
    const fresh = new FakeAgent(server.url, second);
    await fresh.connect();
    fresh.hello();
    expect(
      (await admin.as(basic(second.accessKey, second.secretKey)).get(`/v2-beta/hosts/${second.hostId}`))
        .status,
    ).toBe(200);
    const hosts = expectStatus(await admin.get(`/v2-beta/hosts?uuid=uuid-rejoin-0001`), 200).body.data;
    expect(hosts.map((h: { id: string }) => h.id)).toEqual([first.hostId]);
    await fresh.close();
  });

  test("a uuid registered in another project is refused", async () => {
    await registerAgent(server.url, project.token, { uuid: "uuid-elsewhere-01" });
    const other = await createProject(admin);
    const res = await register({ token: other.token, hostname: "h", uuid: "uuid-elsewhere-01" });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe("error");
  });
});

describe("removing a host", () => {
  test("ends its agent's key and closes its open connection", async () => {
    const agent = await FakeAgent.join(server.url, project.token);
    await until("connected", () => server.hub.isConnected(agent.hostId));
    expectStatus(await admin.post(`/v2-beta/hosts/${agent.hostId}?action=deactivate`), 200);
    expectStatus(await admin.del(`/v2-beta/hosts/${agent.hostId}`), 200);
    const { accessKey, secretKey } = agent.registration;
    expect((await admin.as(basic(accessKey, secretKey)).get(`/v2-beta/hosts/${agent.hostId}`)).status).toBe(
      401,
    );
    await agent.closed(3000);
    expect(server.hub.isConnected(agent.hostId)).toBe(false);
  });
});

describe("the agent socket", () => {
  test("refuses connections without an agent key", async () => {
    const url = `${server.url.replace(/^http/, "ws")}/v2-beta/agent/connect`;
    const auths = [
      null,
      basic(server.admin.accessKey, server.admin.secretKey!),
      basic(project.key.publicValue, project.key.secretValue),
      basic(project.key.publicValue, "wrong"),
    ];
    for (const auth of auths) {
      const ws = new WebSocket(url, auth ? { headers: { Authorization: auth } } : {});
      const outcome = await new Promise<string>((resolve) => {
        ws.onmessage = () => resolve("message");
        ws.onclose = () => resolve("closed");
      });
      expect(outcome).toBe("closed");
    }
    const plain = await fetch(`${server.url}/v2-beta/agent/connect`, {
      headers: { Authorization: basic(project.key.publicValue, project.key.secretValue) },
    });
    expect(plain.status).toBe(403);
    expect(((await plain.json()) as { type: string }).type).toBe("error");
  });
});

describe("agentState", () => {
  const stateOf = async (hostId: string): Promise<string> =>
    expectStatus(await admin.get(`/v2-beta/hosts/${hostId}`), 200).body.agentState;

  /** Polls the host and returns the distinct agentStates seen, in order, until `last` is seen. */
  async function statesUntil(hostId: string, last: string, timeoutMs = 5000): Promise<string[]> {
    const seen: string[] = [];
    await until(
      `agentState ${last}`,
      async () => {
        const s = await stateOf(hostId);
        if (seen.at(-1) !== s) seen.push(s);
        return s === last;
      },
      timeoutMs,
      10,
    );
    return seen;
  }

  test("goes reconnecting, then disconnected when pings stop (its silent session is closed); active after reconnecting", async () => {
    const agent = await FakeAgent.join(server.url, project.token);
    expect(await statesUntil(agent.hostId, "active")).toContain("active");
    agent.stopPinging();
    expect(await statesUntil(agent.hostId, "disconnected")).toEqual([
      "active",
      "reconnecting",
      "disconnected",
    ]);
    // A silent session is dead whatever TCP says: the server closed it, so no work goes to it.
    expect((await agent.closed()).code).toBe(4001);
    await agent.connect();
    agent.hello();
    agent.startPinging();
    expect(await statesUntil(agent.hostId, "active")).not.toContain("reconnecting");
    await agent.close();
  });

  test("goes reconnecting then disconnected when the agent closes, and active when it reconnects", async () => {
    const agent = await FakeAgent.join(server.url, project.token);
    await statesUntil(agent.hostId, "active");
    await agent.close();
    expect(await statesUntil(agent.hostId, "disconnected")).toEqual(["reconnecting", "disconnected"]);
    await agent.connect();
    agent.hello();
    agent.startPinging();
    expect(await statesUntil(agent.hostId, "active")).not.toContain("reconnecting");
    // It stays active while it pings, well past the reconnecting threshold.
    await Bun.sleep(800);
    expect(await stateOf(agent.hostId)).toBe("active");
    await agent.close();
  });

  test("a host whose agent is dropped for a garbage frame leaves active", async () => {
    const agent = await FakeAgent.join(server.url, project.token);
    await statesUntil(agent.hostId, "active");
    agent.sendRaw("garbage");
    await agent.closed();
    expect(await statesUntil(agent.hostId, "disconnected")).toEqual(["reconnecting", "disconnected"]);
  });
});
