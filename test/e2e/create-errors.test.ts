/**
 * End-to-end create failures: an image that is not on the host with pullPolicy `never` leaves the
 * record in `error` with a message naming the image (and nothing in Docker); a requestedHostId that
 * names no host is refused with 422 before anything is stored.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { docker, type Env, removeDockerLeftovers, startEnv, uniqueName } from "./harness.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv();
}, 30_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

describe("create failures", () => {
  test("a missing image with pullPolicy never ends in error naming the image", async () => {
    const image = `corral/e2e-missing-${Math.random().toString(36).slice(2, 8)}:v1`;
    expect((await docker("image", "inspect", image)).code).not.toBe(0);
    const created = await env.api.createContainer({
      name: uniqueName("missing"),
      imageUuid: `docker:${image}`,
      command: ["true"],
      pullPolicy: "never",
    });
    expect(created.state).toBe("creating");
    const failed = await env.api.waitContainer(created.id, "error", 20_000);
    expect(failed.transitioningMessage).toContain(image);
    expect(failed.transitioning).toBe("error");
    expect(failed.externalId ?? null).toBeNull();
    const ps = await docker("ps", "-aq", "--filter", `label=io.corral.container.id=${created.id}`);
    expect(ps.stdout).toBe("");
    // Never created, so it cannot be started, but its record can be removed.
    expect((await env.api.action(created.id, "start")).status).toBe(409);
    const removed = await env.api.action(created.id, "remove");
    expect(removed.status).toBeLessThan(300);
    await env.api.waitContainer(created.id, "removed", 10_000);
  }, 60_000);

  test("a requestedHostId of an unknown host is refused with 422", async () => {
    const name = uniqueName("nohost");
    const answer = await env.api.request("POST", env.api.project("/containers"), {
      name,
      imageUuid: "docker:corral/busybox:latest",
      command: ["true"],
      requestedHostId: "1h999999",
    });
    expect(answer.status).toBe(422);
    expect(answer.body.type).toBe("error");
    expect(JSON.stringify(answer.body)).toContain("1h999999");
    // Nothing was stored under that name.
    const list = await env.api.request("GET", env.api.project("/containers"));
    expect(list.status).toBe(200);
    expect(list.body.data.filter((c: { name: string }) => c.name === name)).toEqual([]);
  }, 60_000);

  test("requestedHostId of the real host places the container there", async () => {
    const created = await env.api.createContainer({
      name: uniqueName("onhost"),
      imageUuid: "docker:corral/busybox:latest",
      command: ["sleep", "3600"],
      requestedHostId: env.hostId,
    });
    expect(created.hostId).toBe(env.hostId);
    await env.api.waitContainer(created.id, "running");
  }, 60_000);
});
