/**
 * End-to-end container lifecycle against the real Docker engine: create an httpd container through
 * the API, see it in `docker ps` with Corral's labels, fetch its published port, then stop, start,
 * restart and remove it, checking both the API record and what Docker shows at each step.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  docker,
  dockerInspect,
  type Env,
  readStream,
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

describe("container lifecycle", () => {
  let id = "";
  let dockerId = "";

  test("create: an httpd container reaches running and serves its published port", async () => {
    const name = uniqueName("httpd");
    const created = await env.api.createContainer({
      name,
      imageUuid: `docker:${testImage}`,
      // As PID 1, httpd would ignore SIGTERM and every stop would wait out Docker's timeout.
      command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"],
      ports: ["0:80"],
    });
    id = created.id;
    expect(created.state).toBe("creating");
    expect(created.hostId).toBe(env.hostId);

    const running = await env.api.waitContainer(id, "running");
    expect(running.startCount).toBe(1);
    expect(typeof running.externalId).toBe("string");
    dockerId = running.externalId;

    // docker ps shows it, labelled with the API's ids.
    const ps = await docker(
      "ps",
      "--filter",
      `label=io.corral.container.id=${id}`,
      "--format",
      '{{.ID}}\t{{.Label "io.corral.container.id"}}\t{{.Label "io.corral.host.id"}}\t{{.Names}}',
    );
    const rows = ps.stdout.split("\n").filter(Boolean);
    expect(rows).toHaveLength(1);
    const [shortId, labelId, labelHost, dockerName] = rows[0]!.split("\t");
    expect(dockerId.startsWith(shortId!)).toBe(true);
    expect(labelId).toBe(id);
    expect(labelHost).toBe(env.hostId);
    expect(dockerName).toContain(name);

    // The published port answers with the image's index page.
    const endpoint = running.publicEndpoints?.[0];
    expect(endpoint?.privatePort).toBe(80);
    expect(endpoint?.port).toBeGreaterThan(0);
    // Managed containers are published by the agent's CORRAL-* chains, not by Docker: the container
    // sits on the managed bridge with the address the server gave it.
    const inspect = await dockerInspect(dockerId);
    expect(inspect.NetworkSettings.Networks["corral-managed"]?.IPAddress).toBe(running.primaryIpAddress);
    const body = await waitFor("httpd to answer on its published port", async () => {
      const res = await fetch(`http://127.0.0.1:${endpoint.port}/`);
      return res.ok ? res.text() : null;
    });
    expect(body).toContain("hello from corral");
  }, 60_000);

  test("stop: the record becomes stopped and Docker shows the container exited", async () => {
    const answer = await env.api.action(id, "stop");
    expect(answer.status).toBe(202);
    expect(answer.body.state).toBe("stopping");
    const stopped = await env.api.waitContainer(id, "stopped");
    expect(typeof stopped.exitCode).toBe("number");
    const inspect = await dockerInspect(dockerId);
    expect(inspect.State.Status).toBe("exited");
    // A stopped container cannot be stopped again, nor exec'd into or measured; its logs stay readable.
    expect((await env.api.action(id, "stop")).status).toBe(409);
    expect((await env.api.action(id, "execute", { command: ["true"] })).status).toBe(409);
    expect((await env.api.request("GET", env.api.project(`/containers/${id}/stats`))).status).toBe(409);
    const logs = await env.api.action(id, "logs", { follow: false });
    expect(logs.status).toBe(200);
    expect((await readStream(logs.body.url)).code).toBe(1000);
  }, 60_000);

  test("start: the record is running again, Docker too, and startCount grew", async () => {
    const answer = await env.api.action(id, "start");
    expect(answer.status).toBe(202);
    const running = await env.api.waitContainer(id, "running");
    expect(running.startCount).toBe(2);
    expect(running.externalId).toBe(dockerId);
    expect((await dockerInspect(dockerId)).State.Status).toBe("running");
  }, 60_000);

  test("restart: startCount increments and Docker restarted the container", async () => {
    const before = await dockerInspect(dockerId);
    const answer = await env.api.action(id, "restart");
    expect(answer.status).toBe(202);
    expect(answer.body.state).toBe("restarting");
    const running = await env.api.waitContainer(id, "running");
    expect(running.startCount).toBe(3);
    const after = await dockerInspect(dockerId);
    expect(after.State.Status).toBe("running");
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
  }, 60_000);

  test("remove: the record becomes removed, the container is gone, the row stays readable", async () => {
    const answer = await env.api.action(id, "remove");
    expect(answer.status).toBe(202);
    const removed = await env.api.waitContainer(id, "removed");
    expect(removed.removed).toBeTruthy();
    const ps = await docker("ps", "-aq", "--filter", `label=io.corral.container.id=${id}`);
    expect(ps.stdout).toBe("");
    expect(await dockerInspect(dockerId)).toBeNull();
    // Still readable by id, and still removed a moment later (no ping resurrects or errors it).
    await Bun.sleep(1000);
    const again = await env.api.container(id);
    expect(again.state).toBe("removed");
    expect((await env.api.action(id, "start")).status).toBe(409);
  }, 60_000);

  test("DELETE of a running container removes it from Docker too", async () => {
    const created = await env.api.createContainer({
      name: uniqueName("delete"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
    });
    const running = await env.api.waitContainer(created.id, "running");
    const answer = await env.api.request("DELETE", env.api.project(`/containers/${created.id}`));
    expect(answer.status).toBeLessThan(300);
    await env.api.waitContainer(created.id, "removed");
    expect(await dockerInspect(running.externalId)).toBeNull();
  }, 60_000);
});
