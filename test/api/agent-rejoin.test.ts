// The real agent (runAgent, with an in-memory Docker driver) against the real server: a host that
// joins again keeps its id, because the agent shows its own key when it registers again (a new
// token after a rotation, or the server refused its key), and the server lets a registered uuid join
// again only with that key.
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent } from "@corral/agent";
import type { RunningServer } from "@corral/server";
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
const dir = mkdtempSync(join(tmpdir(), "corral-rejoin-"));

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs an agent until `stop()`; the host it became is read from its state file. */
function agent(stateDir: string, token: string) {
  const abort = new AbortController();
  const running = runAgent({
    url: server.url,
    token,
    stateDir,
    driver: new FakeDriver(),
    signal: abort.signal,
  });
  return {
    /** The agent's saved state (empty until it wrote one). */
    state: () => {
      const path = join(stateDir, "agent.json");
      return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}

const hosts = async () =>
  expectStatus(await admin.get(`/v2-beta/projects/${project.id}/hosts`), 200).body.data as {
    id: string;
    uuid: string;
    agentState: string;
  }[];

describe("an agent joining again", () => {
  test("with a rotated token keeps its host; a restart without a change does not register", async () => {
    const stateDir = join(dir, "a");
    const first = agent(stateDir, project.token);
    await until(
      "the host to connect",
      () => first.state().hostId && server.hub.isConnected(first.state().hostId),
    );
    const joined = first.state();
    await first.stop();

    const rotated = expectStatus(
      await admin.post(`/v2-beta/registrationtokens/${project.tokenId}?action=rotate`),
      200,
    ).body.token as string;
    const second = agent(stateDir, rotated);
    await until(
      "the agent to register again and connect",
      () => second.state().accessKey !== joined.accessKey && server.hub.isConnected(joined.hostId),
      10_000,
    );
    expect(second.state()).toMatchObject({
      uuid: joined.uuid,
      hostId: joined.hostId,
      agentId: joined.agentId,
    });
    const again = second.state();
    await second.stop();

    const third = agent(stateDir, rotated);
    await until(
      "the agent to connect with its stored key",
      () => server.hub.isConnected(joined.hostId),
      10_000,
    );
    expect(third.state().accessKey).toBe(again.accessKey);
    await third.stop();
    expect((await hosts()).filter((h) => h.uuid === joined.uuid).map((h) => h.id)).toEqual([joined.hostId]);
  });

  test("an agent whose key was removed cannot take its host back with the token alone", async () => {
    const stateDir = join(dir, "b");
    // The project's token as it is now (the test before rotated it).
    const token = expectStatus(await admin.get(`/v2-beta/registrationtokens/${project.tokenId}`), 200).body
      .token;
    const first = agent(stateDir, token);
    await until(
      "the host to connect",
      () => first.state().hostId && server.hub.isConnected(first.state().hostId),
    );
    const joined = first.state();
    // The agent's log says what the server answered it.
    const written: string[] = [];
    const spy = spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      // An admin removes the agent's key: its connection is closed and its key refused; it then
      // registers again with its token and the dead key, and is refused.
      const key = server.store.getByLookup("apiKey", joined.accessKey)!;
      expectStatus(await admin.del(`/v2-beta/apikeys/${server.store.publicId(key)}`), 200);
      await until(
        "the agent's registration to be refused",
        () => written.join("").includes("(HTTP 409)"),
        10_000,
      );
    } finally {
      spy.mockRestore();
      await first.stop();
    }
    expect(first.state().accessKey).toBe(joined.accessKey);
    expect(server.hub.isConnected(joined.hostId)).toBe(false);
    expect((await hosts()).filter((h) => h.uuid === joined.uuid).map((h) => h.id)).toEqual([joined.hostId]);
  });
});
