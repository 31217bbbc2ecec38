// The README's CI recipe ("Upgrading a service from a CI script"), run as written with bash, curl
// and jq against the in-process server and a fake host: it upgrades the service to the new image,
// waits for `upgraded`, finishes, waits for `active`.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

setDefaultTimeout(120_000);

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
});

afterAll(async () => {
  await agent?.close();
  await server.stop();
});

/** The shell block that follows the `<!-- ci-recipe -->` marker in the README. */
function recipe(): string {
  const readme = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");
  const m = /<!-- ci-recipe -->\n```sh\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error("README has no ci-recipe block");
  return m[1]!;
}

test("the README's curl recipe upgrades a service to a new image and waits for it", async () => {
  const p = `/v2-beta/projects/${project.id}`;
  const stack = expectStatus(
    await admin.post(`${p}/stacks`, {
      name: "ci",
      dockerCompose:
        "services:\n  web:\n    image: registry.example.com:5000/shop/web:41\n    environment: {A: b}\n",
    }),
    201,
  ).body;
  const [web] = expectStatus(await admin.get(`${p}/services?stackId=${stack.id}`), 200).body.data;
  await until(
    "web active",
    async () => (await admin.get(`${p}/services/${web.id}`)).body.state === "active",
    20_000,
  );
  const run = Bun.spawn(["bash", "-c", recipe()], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CORRAL_URL: server.url,
      CORRAL_ACCESS_KEY: project.key.publicValue,
      CORRAL_SECRET_KEY: project.key.secretValue,
      CORRAL_PROJECT: project.id,
      CORRAL_SERVICE: web.id,
      IMAGE: "registry.example.com:5000/shop/web:42",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    run.exited,
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
  ]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  expect(out.trim()).toBe("upgraded to registry.example.com:5000/shop/web:42");
  const after = expectStatus(await admin.get(`${p}/services/${web.id}`), 200).body;
  expect(after.state).toBe("active");
  expect(after.launchConfig.imageUuid).toBe("docker:registry.example.com:5000/shop/web:42");
  // The rest of the launch config went through unchanged.
  expect(after.launchConfig.environment).toEqual({ A: "b" });
  // The old container is gone, the new one runs.
  const containers = expectStatus(await admin.get(`${p}/containers?name_prefix=ci-web-&removed_null=`), 200)
    .body.data;
  const live = containers.filter((c: { state: string }) => c.state === "running");
  expect(live.map((c: { imageUuid: string }) => c.imageUuid)).toEqual([
    "docker:registry.example.com:5000/shop/web:42",
  ]);

  // A wrong key fails the script loudly (curl -f), changing nothing.
  const bad = Bun.spawn(["bash", "-c", recipe()], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CORRAL_URL: server.url,
      CORRAL_ACCESS_KEY: project.key.publicValue,
      CORRAL_SECRET_KEY: "wrong",
      CORRAL_PROJECT: project.id,
      CORRAL_SERVICE: web.id,
      IMAGE: "registry.example.com:5000/shop/web:43",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await bad.exited).not.toBe(0);
  expect((await admin.get(`${p}/services/${web.id}`)).body.launchConfig.imageUuid).toBe(
    "docker:registry.example.com:5000/shop/web:42",
  );
});
