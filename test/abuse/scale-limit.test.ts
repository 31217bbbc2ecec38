// Finding 2 of issue 12, the bound: a service's scale has an upper bound (CORRAL_MAX_SERVICE_SCALE,
// default 1000, shown at GET /v2-beta/settings/service.scale.max); a scale above it is refused with
// 422 naming the bound, wherever a scale comes in (PUT, a new service, a stack's compose files, a
// stack upgrade), and nothing is written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  type ProjectFixture,
  startTestServer,
  uniqueName,
} from "../api/harness.ts";
import { expectErrorBody } from "./kit.ts";

const compose = "services:\n  web:\n    image: busybox\n    command: sleep 3600\n";
const scaled = (n: number | string) => `services:\n  web:\n    scale: ${n}\n`;

describe("the default bound", () => {
  let server: RunningServer;
  let project: ProjectFixture;
  let client: Client;
  let serviceId: string;
  let stackId: string;

  beforeAll(async () => {
    server = startTestServer();
    project = await createProject(adminClient(server));
    client = project.client;
    const stack = expectStatus(
      await client.post(`/v2-beta/projects/${project.id}/stacks`, {
        name: uniqueName("s"),
        dockerCompose: compose,
        rancherCompose: scaled(0),
      }),
      201,
    ).body;
    stackId = stack.id;
    serviceId = (await client.get(`/v2-beta/projects/${project.id}/services?stackId=${stack.id}`)).body
      .data[0].id;
  });
  afterAll(() => server.stop());

  test("the setting is readable by an environment key, with where it comes from", async () => {
    const list = expectStatus(await client.get("/v2-beta/settings"), 200).body;
    expect(list.type).toBe("collection");
    const one = expectStatus(await client.get("/v2-beta/settings/service.scale.max"), 200).body;
    expect([one.id, one.type, one.value, one.source]).toEqual([
      "service.scale.max",
      "setting",
      "1000",
      "Code",
    ]);
    expect(list.data).toContainEqual(one);
    const missing = await client.get("/v2-beta/settings/nope");
    expect(missing.status).toBe(404);
    expectErrorBody(404, missing.body);
  });

  test("PUT scale above the bound is a 422 naming it, and changes nothing", async () => {
    const before = nonAuditRows(server);
    for (const scale of [1001, 10_000]) {
      const r = await client.put(`/v2-beta/services/${serviceId}`, { scale });
      expect(r.status).toBe(422);
      const body = expectErrorBody(422, r.body);
      expect(body.message).toContain(`scale ${scale} is above this server's limit of 1000`);
      expect(body.message).toContain("CORRAL_MAX_SERVICE_SCALE");
    }
    for (const scale of [-1, 10_001, 1.5, "100", null]) {
      const r = await client.put(`/v2-beta/services/${serviceId}`, { scale });
      expect(r.status).toBe(422);
      expectErrorBody(422, r.body);
    }
    expect(nonAuditRows(server)).toBe(before);
    expect((await client.get(`/v2-beta/services/${serviceId}`)).body.scale).toBe(0);
    expect(
      expectStatus(await client.put(`/v2-beta/services/${serviceId}`, { scale: 1000 }), 200).body.scale,
    ).toBe(1000);
    expectStatus(await client.put(`/v2-beta/services/${serviceId}`, { scale: 0 }), 200);
  });

  test("a new service, a stack and a stack upgrade above the bound are refused whole", async () => {
    const before = nonAuditRows(server);
    const stackBefore = (await client.get(`/v2-beta/projects/${project.id}/stacks/${stackId}`)).body;
    const created = await client.post(`/v2-beta/projects/${project.id}/services`, {
      name: "big",
      stackId,
      scale: 1001,
      launchConfig: { imageUuid: "docker:busybox" },
    });
    expect(created.status).toBe(422);
    expect(expectErrorBody(422, created.body).message).toContain("limit of 1000");
    const stack = await client.post(`/v2-beta/projects/${project.id}/stacks`, {
      name: uniqueName("big"),
      dockerCompose: compose,
      rancherCompose: scaled(5000),
    });
    expect(stack.status).toBe(422);
    expect(expectErrorBody(422, stack.body).message).toContain("service web: scale 5000 is above");
    const upgrade = await client.post(`/v2-beta/projects/${project.id}/stacks/${stackId}?action=upgrade`, {
      dockerCompose: compose,
      rancherCompose: scaled(2000),
    });
    expect(upgrade.status).toBe(422);
    expect(expectErrorBody(422, upgrade.body).message).toContain("limit of 1000");
    expect(nonAuditRows(server)).toBe(before);
    const stackAfter = (await client.get(`/v2-beta/projects/${project.id}/stacks/${stackId}`)).body;
    expect([stackAfter.state, stackAfter.rancherComposeConfig ?? stackAfter.rancherCompose]).toEqual([
      stackBefore.state,
      stackBefore.rancherComposeConfig ?? stackBefore.rancherCompose,
    ]);
    expect((await client.get(`/v2-beta/services/${serviceId}`)).body.scale).toBe(0);
  });
});

test("CORRAL_MAX_SERVICE_SCALE sets the bound; a bad value stops the start, saying why", async () => {
  for (const bad of ["abc", "0", "-5", "10001", "1e3", "12.5"]) {
    expect(() => startTestServer({ env: { CORRAL_MAX_SERVICE_SCALE: bad } })).toThrow(
      /CORRAL_MAX_SERVICE_SCALE=.*must be a whole number from 1 to 10000/,
    );
  }
  const server = startTestServer({ env: { CORRAL_MAX_SERVICE_SCALE: "5" } });
  try {
    const project = await createProject(adminClient(server));
    const setting = (await project.client.get("/v2-beta/settings/service.scale.max")).body;
    expect([setting.value, setting.source]).toEqual(["5", "Env"]);
    const refused = await project.client.post(`/v2-beta/projects/${project.id}/stacks`, {
      name: uniqueName("s"),
      dockerCompose: compose,
      rancherCompose: scaled(6),
    });
    expect(refused.status).toBe(422);
    expect(expectErrorBody(422, refused.body).message).toContain("limit of 5 units per service");
    expectStatus(
      await project.client.post(`/v2-beta/projects/${project.id}/stacks`, {
        name: uniqueName("s"),
        dockerCompose: compose,
        rancherCompose: scaled(5),
      }),
      201,
    );
  } finally {
    await server.stop();
  }
});
