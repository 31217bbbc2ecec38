// A rolling restart asked while a unit is still stopping (draining after a deactivate, then an
// activate): the unit is restarted once it stopped, and the service becomes active again. Before,
// the unit was skipped and the service stayed `restarting` until the unit timeout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import { adminClient, type Client, createProject, expectStatus, startTestServer, until } from "./harness.ts";

let server: RunningServer;
let admin: Client;
let base = "";

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  const project = await createProject(admin);
  await FakeAgent.join(server.url, project.token);
  base = `/v2-beta/projects/${project.id}`;
});

afterAll(async () => {
  await server.stop();
});

test("stop, start, then restart at once: the service is active again with its unit running", async () => {
  const stack = expectStatus(
    await admin.post(`${base}/stacks`, {
      name: "again",
      dockerCompose: "services:\n  api:\n    image: busybox\n    command: sleep 100\n",
    }),
    201,
  ).body;
  const service = async () => (await admin.get(`${base}/services?stackId=${stack.id}`)).body.data[0];
  const reaches = (state: string) =>
    until(`service ${state}`, async () => (await service()).state === state, 60_000);
  await reaches("active");
  const id = (await service()).id;
  expectStatus(await admin.post(`${base}/services/${id}?action=deactivate`, {}), 202);
  await reaches("inactive");
  expectStatus(await admin.post(`${base}/services/${id}?action=activate`, {}), 202);
  await reaches("active");
  expectStatus(await admin.post(`${base}/services/${id}?action=restart`, {}), 202);
  await reaches("active");
  await until(
    "its unit running",
    async () => (await admin.get(`${base}/containers?serviceId=${id}`)).body.data[0]?.state === "running",
    30_000,
  );
  expect((await service()).state).toBe("active");
}, 120_000);
