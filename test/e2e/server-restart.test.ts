/**
 * End-to-end server restart: stop the server while the agent process keeps running (and retrying),
 * change a managed container through Docker meanwhile, then start a new server on the same data dir
 * and the same port. Every record (projects, hosts, containers, API keys) is still there, the same
 * agent process reconnects by itself, and the change made while the server was down reaches the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Api,
  docker,
  dockerInspect,
  type Env,
  type Resource,
  removeDockerLeftovers,
  sleepCommand,
  startEnv,
  testImage,
  uniqueName,
  waitFor,
} from "./harness.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv();
}, 30_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

/** Ids and states of a collection, sorted, for before/after comparisons. */
async function snapshot(api: Api, path: string): Promise<string[]> {
  const r = await api.request("GET", path);
  expect(r.status).toBe(200);
  return (r.body.data as Resource[]).map((x) => `${x.id}:${x.name}:${x.state}`).sort();
}

describe("server restart", () => {
  test("records persist, the agent reconnects and offline changes are resynced", async () => {
    const { api } = env;
    const port = env.server.port;
    const project = await api.request("POST", "/v2-beta/projects", { name: uniqueName("project") });
    expect(project.status).toBe(201);
    const key = await api.request("POST", api.project("/apikeys"), { name: uniqueName("key") });
    expect(key.status).toBe(201);
    expect(typeof key.body.secretValue).toBe("string");
    const envKeyApi = new Api(api.url, key.body.publicValue, key.body.secretValue, api.projectId);
    expect((await envKeyApi.request("GET", api.project("/containers"))).status).toBe(200);

    const ids: string[] = [];
    for (const label of ["keep", "drift"]) {
      const created = await api.createContainer({
        name: uniqueName(label),
        imageUuid: `docker:${testImage}`,
        command: sleepCommand,
      });
      ids.push(created.id);
    }
    const [keep, drift] = await Promise.all(ids.map((id) => api.waitContainer(id, "running")));
    const keepStartedAt = (await dockerInspect(keep!.externalId)).State.StartedAt;

    const paths = [
      "/v2-beta/projects",
      api.project("/hosts"),
      api.project("/containers"),
      api.project("/apikeys"),
    ];
    const before = await Promise.all(paths.map((p) => snapshot(api, p)));
    const agentPid = env.agent.proc.pid;

    await env.server.stop();
    await waitFor("the API to be unreachable", async () => {
      try {
        await fetch(`${api.url}/v2-beta`);
        return false;
      } catch {
        return true;
      }
    });

    // While the server is down: the agent keeps running and Docker state changes under it.
    expect((await docker("stop", drift!.externalId)).code).toBe(0);
    expect((await dockerInspect(drift!.externalId)).State.Status).toBe("exited");
    await Bun.sleep(1500);
    expect(env.agent.proc.exitCode).toBeNull();
    expect((await dockerInspect(keep!.externalId)).State.Status).toBe("running");

    const server = env.restartServer();
    expect(server.port).toBe(port);
    expect(server.url).toBe(api.url);

    // The same agent process comes back by itself, as the same host.
    const host = await api.waitHost(env.hostId, "active", 20_000);
    expect(host.state).toBe("active");
    expect(env.agent.proc.pid).toBe(agentPid);
    expect(env.agent.proc.exitCode).toBeNull();

    // The offline `docker stop` reached the API.
    const stopped = await api.waitContainer(drift!.id, "stopped", 10_000);
    expect(stopped.externalId).toBe(drift!.externalId);
    const kept = await api.container(keep!.id);
    expect(kept.state).toBe("running");
    expect((await dockerInspect(keep!.externalId)).State.StartedAt).toBe(keepStartedAt);

    // Every record is still there; only the drifted container's state changed.
    const after = await Promise.all(paths.map((p) => snapshot(api, p)));
    const expected = before.map((list) =>
      list.map((row) => (row.startsWith(`${drift!.id}:`) ? row.replace(/:running$/, ":stopped") : row)),
    );
    expect(after).toEqual(expected);
    expect(after[0]!.some((row) => row.startsWith(`${project.body.id}:`))).toBe(true);
    expect(after[3]!.some((row) => row.startsWith(`${key.body.id}:`))).toBe(true);

    // Keys made before the restart still authenticate; the restarted server drives containers.
    expect((await envKeyApi.request("GET", api.project("/containers"))).status).toBe(200);
    expect((await api.action(drift!.id, "start")).status).toBe(202);
    const again = await api.waitContainer(drift!.id, "running");
    expect(again.startCount).toBe(2);
  }, 90_000);

  test("transitions cut short by a restart finish afterwards, without duplicate containers", async () => {
    const { api } = env;
    // Takes two seconds to stop, so the server goes down while the agent is still stopping it.
    const slowStop = ["sh", "-c", "trap 'sleep 2; exit 0' TERM; sleep 3600 & wait"];
    const slow = await api.createContainer({
      name: uniqueName("slow"),
      imageUuid: `docker:${testImage}`,
      command: slowStop,
    });
    const running = await api.waitContainer(slow.id, "running");
    expect((await api.action(slow.id, "stop")).body.state).toBe("stopping");
    const fresh = await api.createContainer({
      name: uniqueName("fresh"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
    });
    expect(fresh.state).toBe("creating");
    await env.server.stop();

    await Bun.sleep(500);
    env.restartServer();
    await api.waitHost(env.hostId, "active", 20_000);
    const stopped = await api.waitContainer(slow.id, "stopped", 20_000);
    expect(stopped.externalId).toBe(running.externalId);
    expect((await dockerInspect(running.externalId)).State.Status).toBe("exited");
    const created = await api.waitContainer(fresh.id, "running", 20_000);
    const ps = await docker("ps", "-aq", "--filter", `label=io.corral.container.id=${fresh.id}`);
    expect(ps.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(created.externalId.startsWith(ps.stdout.trim())).toBe(true);
    expect(created.startCount).toBe(1);
  }, 60_000);
});
