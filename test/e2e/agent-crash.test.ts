/**
 * End-to-end agent crash: SIGKILL the `corral agent` process. The host goes `reconnecting`, then
 * `disconnected`, while its containers keep running in Docker the whole time. A new agent process with
 * the same state folder comes back as the same host, the host is `active` again and the container
 * records are still `running`; the API can drive the containers again afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  dockerInspect,
  type Env,
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

describe("agent crash", () => {
  test("containers survive an agent crash and the restarted agent resumes as the same host", async () => {
    const ids: string[] = [];
    for (const label of ["crash-a", "crash-b"]) {
      const created = await env.api.createContainer({
        name: uniqueName(label),
        imageUuid: `docker:${testImage}`,
        command: sleepCommand,
      });
      ids.push(created.id);
    }
    const before = await Promise.all(ids.map((id) => env.api.waitContainer(id, "running")));
    const dockerIds = before.map((c) => c.externalId as string);
    const startedAt = await Promise.all(dockerIds.map(async (d) => (await dockerInspect(d)).State.StartedAt));

    // Watch Docker during the outage: every sample must show both containers running.
    let watching = true;
    const samples: string[] = [];
    const watcher = (async () => {
      while (watching) {
        for (const d of dockerIds) samples.push((await dockerInspect(d))?.State.Status ?? "missing");
        await Bun.sleep(200);
      }
    })();

    await env.agent.crash();
    expect(env.agent.proc.signalCode).toBe("SIGKILL");
    await env.api.waitHost(env.hostId, "reconnecting", 10_000);
    const disconnected = await env.api.waitHost(env.hostId, "disconnected", 30_000);
    expect(disconnected.state).toBe("active");
    // Nothing can be dispatched to the host meanwhile, and the records are not touched.
    expect((await env.api.action(ids[0]!, "execute", { command: ["true"] })).status).toBe(503);
    for (const id of ids) expect((await env.api.container(id)).state).toBe("running");
    // No connected host: a new container has nowhere to go.
    const refused = await env.api.request("POST", env.api.project("/containers"), {
      name: uniqueName("nowhere"),
      imageUuid: `docker:${testImage}`,
    });
    expect(refused.status).toBe(409);
    // Work asked for while the agent is away waits for it: a stop, and a create pinned to the host.
    expect((await env.api.action(ids[1]!, "stop")).status).toBe(202);
    const queued = await env.api.createContainer({
      name: uniqueName("queued"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
      requestedHostId: env.hostId,
    });
    await waitFor("queued work to wait for the agent", async () => {
      const [stopping, creating] = await Promise.all([
        env.api.container(ids[1]!),
        env.api.container(queued.id),
      ]);
      return (
        stopping.state === "stopping" &&
        creating.state === "creating" &&
        /reconnect|waiting/.test(`${stopping.transitioningMessage} ${creating.transitioningMessage}`)
      );
    });
    expect((await dockerInspect(dockerIds[1]!)).State.Status).toBe("running");

    // The outage ends here: the queued stop runs as soon as the agent is back, so stop sampling first.
    watching = false;
    await watcher;
    env.restartAgent();
    const back = await env.api.waitHost(env.hostId, "active", 15_000);
    expect(back.id).toBe(env.hostId);
    expect(await env.api.hosts()).toHaveLength(1);
    // Docker showed both containers running through the whole outage, never restarted.
    expect(samples.length).toBeGreaterThan(4);
    expect(samples.every((s) => s === "running")).toBe(true);
    const first = await dockerInspect(dockerIds[0]!);
    expect(first.State.Status).toBe("running");
    expect(first.State.StartedAt).toBe(startedAt[0]);
    const c = await env.api.container(ids[0]!);
    expect(c.state).toBe("running");
    expect(c.externalId).toBe(dockerIds[0]);
    expect(c.startCount).toBe(1);

    // Once the agent is back the queued work is done: the stop, then the pinned create.
    await env.api.waitContainer(ids[1]!, "stopped");
    expect((await dockerInspect(dockerIds[1]!)).State.Status).toBe("exited");
    const created = await env.api.waitContainer(queued.id, "running");
    expect((await dockerInspect(created.externalId)).State.Status).toBe("running");

    // The new agent takes new work too.
    expect((await env.api.action(ids[0]!, "restart")).status).toBe(202);
    expect((await env.api.waitContainer(ids[0]!, "running")).startCount).toBe(2);
  }, 90_000);

  // A host that stops pinging is marked disconnected and its silent session is closed, so no new work
  // is sent to it and API calls fail fast instead of waiting for a timeout.
  test("a frozen agent (SIGSTOP) loses its session: no work is sent to it until it is back", async () => {
    const c = await env.api.createContainer({
      name: uniqueName("frozen"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
    });
    await env.api.waitContainer(c.id, "running");
    env.agent.proc.kill("SIGSTOP");
    try {
      await env.api.waitHost(env.hostId, "reconnecting", 10_000);
      await env.api.waitHost(env.hostId, "disconnected", 30_000);
      // A disconnected host must not get new containers, nor hold API calls until a timeout.
      const refused = await env.api.request("POST", env.api.project("/containers"), {
        name: uniqueName("to-frozen"),
        imageUuid: `docker:${testImage}`,
        command: sleepCommand,
      });
      expect(refused.status).toBe(409);
      const t0 = Date.now();
      const stats = await env.api.request("GET", env.api.project(`/containers/${c.id}/stats`));
      expect(stats.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(2_000);
    } finally {
      env.agent.proc.kill("SIGCONT");
    }
    await env.api.waitHost(env.hostId, "active", 15_000);
    expect((await env.api.container(c.id)).state).toBe("running");
  }, 90_000);
});
