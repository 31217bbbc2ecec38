/**
 * End-to-end container names: the Docker container is named after the record, names are unique per
 * environment, a removed container frees its name, and renaming a record through the API (which
 * keeps the Docker container's name) must not break a later create that reuses the old name.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  docker,
  type Env,
  removeDockerLeftovers,
  sleepCommand,
  startEnv,
  testImage,
  uniqueName,
} from "./harness.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv();
}, 30_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

/** The create body of a long-running container named `name`. */
function spec(name: string) {
  return { name, imageUuid: `docker:${testImage}`, command: sleepCommand };
}

describe("container names", () => {
  test("a live name is refused, a removed container's name can be used again", async () => {
    const name = uniqueName("dup");
    const first = await env.api.createContainer(spec(name));
    await env.api.waitContainer(first.id, "running");
    const clash = await env.api.request("POST", env.api.project("/containers"), spec(name));
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("NotUnique");

    expect((await env.api.action(first.id, "remove")).status).toBe(202);
    await env.api.waitContainer(first.id, "removed");
    const second = await env.api.createContainer(spec(name));
    const running = await env.api.waitContainer(second.id, "running");
    const ps = await docker(
      "ps",
      "--filter",
      `label=io.corral.container.id=${second.id}`,
      "--format",
      "{{.ID}}",
    );
    expect(running.externalId.startsWith(ps.stdout)).toBe(true);
  }, 60_000);

  // A rename changes the record only: the Docker container keeps its name, so that name stays taken
  // (with a clear 409) instead of being offered and then failing in Docker.
  test("a renamed container's Docker name stays reserved", async () => {
    const oldName = uniqueName("old");
    const first = await env.api.createContainer(spec(oldName));
    await env.api.waitContainer(first.id, "running");
    const renamed = await env.api.request("PUT", env.api.project(`/containers/${first.id}`), {
      name: uniqueName("new"),
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).not.toBe(oldName);

    const second = await env.api.request("POST", env.api.project("/containers"), spec(oldName));
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("NotUnique");
  }, 60_000);

  test("renaming onto a live container's name is refused", async () => {
    const a = await env.api.createContainer(spec(uniqueName("a")));
    const b = await env.api.createContainer(spec(uniqueName("b")));
    await Promise.all([env.api.waitContainer(a.id, "running"), env.api.waitContainer(b.id, "running")]);
    const clash = await env.api.request("PUT", env.api.project(`/containers/${b.id}`), { name: a.name });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("NotUnique");
    expect((await env.api.container(b.id)).name).toBe(b.name);
  }, 60_000);
});
