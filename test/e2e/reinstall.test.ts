/**
 * End-to-end: two Corral installs on one Docker engine must not act on each other's containers. A
 * reinstall (fresh data dir, old containers still on the engine) numbers its records from the same
 * start, so its first container gets the same id as the old install's. The new container must be a
 * new Docker container with the new spec, and the old install's container must stay untouched.
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  dockerInspect,
  type Env,
  removeDockerLeftovers,
  sleepCommand,
  startEnv,
  testImage,
  uniqueName,
} from "./harness.ts";

const envs: Env[] = [];

afterAll(async () => {
  for (const env of envs) await env.stop();
  await removeDockerLeftovers();
}, 30_000);

describe("a second install on the same engine", () => {
  // Ids restart at 1 in every store; containers carry their installation's id
  // (io.corral.install.id) and agents look only at their own installation's containers.
  test("reuses no container of an earlier install that had the same ids", async () => {
    const idBase = 2_000_000 + Math.floor(Math.random() * 900_000_000);
    const first = await startEnv({ idBase });
    envs.push(first);
    const old = await first.api.createContainer({
      name: uniqueName("old"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
    });
    const oldRunning = await first.api.waitContainer(old.id, "running");
    await first.stop();
    envs.pop();

    // The reinstall: a fresh data dir and agent state; the old container keeps running.
    const second = await startEnv({ idBase });
    envs.push(second);
    expect(second.hostId).toBe(first.hostId);
    const fresh = await second.api.createContainer({
      name: uniqueName("new"),
      imageUuid: `docker:${testImage}`,
      command: ["sh", "-c", "trap 'exit 0' TERM; echo new-spec; sleep 3600 & wait"],
    });
    expect(fresh.id).toBe(old.id);
    const running = await second.api.waitContainer(fresh.id, "running");

    expect(running.externalId).not.toBe(oldRunning.externalId);
    const inspect = await dockerInspect(running.externalId);
    expect(inspect.Name).toBe(`/${fresh.name}`);
    expect(inspect.Config.Cmd.join(" ")).toContain("new-spec");
    // The old install's container is untouched.
    const before = await dockerInspect(oldRunning.externalId);
    expect(before.State.Status).toBe("running");
    expect(before.Name).toBe(`/${old.name}`);
  }, 60_000);
});
