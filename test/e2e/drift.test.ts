/**
 * End-to-end drift: changes made to managed containers outside Corral, straight through Docker,
 * reach the API by themselves. `docker kill` turns the record `stopped`, `docker start` turns it
 * `running` again, and `docker rm -f` turns it `error` (the container is gone from its host), after
 * which the record can still be removed through the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { docker, type Env, removeDockerLeftovers, startEnv, testImage, uniqueName } from "./harness.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv();
}, 30_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

/** Creates a long-running container and waits until it runs; returns its record. */
async function runningContainer(label: string) {
  const created = await env.api.createContainer({
    name: uniqueName(label),
    imageUuid: `docker:${testImage}`,
    command: ["sleep", "3600"],
  });
  return env.api.waitContainer(created.id, "running");
}

describe("changes made outside Corral", () => {
  test("docker kill: the record becomes stopped within a few seconds", async () => {
    const c = await runningContainer("kill");
    const killed = await docker("kill", c.externalId);
    expect(killed.code).toBe(0);
    const stopped = await env.api.waitContainer(c.id, "stopped", 5_000);
    expect(stopped.exitCode).toBe(137);
    expect(stopped.externalId).toBe(c.externalId);

    // docker start brings it back, and the API follows again.
    expect((await docker("start", c.externalId)).code).toBe(0);
    await env.api.waitContainer(c.id, "running", 5_000);
  }, 60_000);

  test("a container that exits by itself becomes stopped with its exit code", async () => {
    const created = await env.api.createContainer({
      name: uniqueName("exits"),
      imageUuid: `docker:${testImage}`,
      command: ["sh", "-c", "sleep 1; exit 7"],
    });
    const stopped = await env.api.waitContainer(created.id, "stopped", 10_000);
    expect(stopped.exitCode).toBe(7);
  }, 60_000);

  test("docker rm -f: the record becomes error and can still be removed", async () => {
    const c = await runningContainer("rm");
    expect((await docker("rm", "-f", c.externalId)).code).toBe(0);
    const broken = await env.api.waitContainer(c.id, "error", 10_000);
    expect(broken.transitioningMessage).toContain("gone");
    // It stays error (no ping flips it back), and removing the record works.
    await Bun.sleep(1000);
    expect((await env.api.container(c.id)).state).toBe("error");
    const answer = await env.api.action(c.id, "remove");
    expect(answer.status).toBe(202);
    await env.api.waitContainer(c.id, "removed", 10_000);
  }, 60_000);
});
