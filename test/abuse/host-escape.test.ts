// Finding 12 of issue 12: any environment key could run a privileged container with `/` and the
// Docker socket mounted, host networking and /dev/mem. Under the default policy of a new
// environment (and of the Default environment a first start makes), each of those asks, alone or
// all at once, through a container, a service or a compose stack, is refused with a 422 naming the
// field and the rule, no host is sent anything, and the key cannot loosen its own policy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "../api/fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  uniqueName,
} from "../api/harness.ts";
import { expectErrorBody } from "./kit.ts";

let server: RunningServer;
let admin: Client;
/** Each environment under the default policy: its id, an environment key's client, a host. */
const envs: { name: string; id: string; client: Client; host: FakeAgent }[] = [];

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  const fresh = await createProject(admin);
  envs.push({
    name: "a new environment",
    id: fresh.id,
    client: fresh.client,
    host: await FakeAgent.join(server.url, fresh.token),
  });
  // The Default environment made at first start, with a key and a host of its own.
  const id = server.admin.defaultProjectId;
  const key = expectStatus(await admin.post(`/v2-beta/projects/${id}/apikeys`, { name: "k" }), 201).body;
  const token = expectStatus(await admin.post(`/v2-beta/projects/${id}/registrationtokens`, {}), 201).body;
  envs.push({
    name: "the Default environment",
    id,
    client: admin.as(basic(key.publicValue, key.secretValue)),
    host: await FakeAgent.join(server.url, token.token),
  });
});

afterAll(async () => {
  for (const e of envs) await e.host.close();
  await server.stop();
});

/** The escape kit, one ask at a time and all together. */
const asks: [string, Record<string, unknown>][] = [
  ["privileged", { privileged: true }],
  ["the host's root mounted", { dataVolumes: ["/:/host"] }],
  ["the Docker socket mounted", { dataVolumes: ["/var/run/docker.sock:/var/run/docker.sock"] }],
  ["the socket through a path that climbs", { dataVolumes: ["/tmp/../var/run/docker.sock:/s"] }],
  ["host networking", { networkMode: "host" }],
  ["/dev/mem", { devices: ["/dev/mem:/dev/mem:rwm"] }],
  ["the host's pids", { pidMode: "host" }],
  ["SYS_ADMIN", { capAdd: ["sys_admin"] }],
  ["every capability", { capAdd: ["ALL"] }],
  ["no seccomp", { securityOpt: ["seccomp=unconfined"] }],
  ["no apparmor", { securityOpt: ["apparmor:unconfined"] }],
  [
    "everything at once",
    {
      privileged: true,
      networkMode: "host",
      pidMode: "host",
      dataVolumes: ["/:/host", "/var/run/docker.sock:/var/run/docker.sock"],
      devices: ["/dev/mem"],
    },
  ],
];

describe.each([0, 1])("environment %#", (i) => {
  for (const [what, body] of asks) {
    test(`an environment key asking for ${what} is refused everywhere`, async () => {
      const env = envs[i]!;
      const base = `/v2-beta/projects/${env.id}`;
      const seen = env.host.events.length;
      const stack = expectStatus(
        await env.client.post(`${base}/stacks`, { name: uniqueName("s"), startOnCreate: false }),
        201,
      ).body;
      const fingerprint = rowsFingerprint(server);
      const tries = [
        await env.client.post(`${base}/containers`, { imageUuid: "docker:busybox", ...body }),
        await env.client.post(`${base}/services`, {
          name: "escape",
          stackId: stack.id,
          launchConfig: { imageUuid: "docker:busybox", ...body },
        }),
        await env.client.post(`${base}/stacks/${stack.id}?action=upgrade`, {
          dockerCompose: `services:\n  escape:\n    image: busybox\n    privileged: ${body.privileged === true}\n    network_mode: ${body.networkMode ?? "bridge"}\n    pid: ${body.pidMode === "host" ? "host" : "service:x"}\n    volumes: ${JSON.stringify(body.dataVolumes ?? ["/:/host"])}\n`,
        }),
      ];
      for (const r of tries) {
        expect(r.status).toBe(422);
        const error = expectErrorBody(422, r.body);
        expect(error.code).toBe("InvalidOption");
        expect(error.message).toContain("refused by this environment's container policy");
      }
      expect(rowsFingerprint(server)).toBe(fingerprint);
      expectStatus(await env.client.del(`${base}/stacks/${stack.id}`), 200);
      // No host was asked to create anything.
      await Bun.sleep(50);
      expect(env.host.events.slice(seen).filter((e) => e.name === "instance.create")).toEqual([]);
    });
  }

  test("the key cannot loosen its environment's policy, nor join another container's namespaces", async () => {
    const env = envs[i]!;
    const before = await settledFingerprint(server);
    for (const containerPolicy of [{ allowPrivileged: true }, { allowedHostPaths: [{ pathPrefix: "/" }] }]) {
      const r = await env.client.put(`/v2-beta/projects/${env.id}`, { containerPolicy });
      expect(r.status).toBe(403);
      expect(expectErrorBody(403, r.body).code).toBe("PermissionDenied");
    }
    for (const body of [
      { pidMode: "container:corral-agent" },
      { ipcMode: "container:x" },
      { uts: "container:x" },
    ]) {
      const r = await env.client.post(`/v2-beta/projects/${env.id}/containers`, {
        imageUuid: "busybox",
        ...body,
      });
      expect(r.status).toBe(422);
    }
    expect(rowsFingerprint(server)).toBe(before);
  });
});

test("a key cannot reach into another environment's container through volumes_from or its network", async () => {
  const [mine, theirs] = envs as [(typeof envs)[0], (typeof envs)[0]];
  const victim = uniqueName("victim");
  expectStatus(
    await theirs.client.post(`/v2-beta/projects/${theirs.id}/containers`, {
      name: victim,
      imageUuid: "busybox",
    }),
    201,
  );
  const count = () => server.store.all("container", {}).length;
  const before = count();
  for (const body of [{ dataVolumesFrom: [victim] }, { networkMode: `container:${victim}` }]) {
    const r = await mine.client.post(`/v2-beta/projects/${mine.id}/containers`, {
      imageUuid: "busybox",
      ...body,
    });
    expect(r.status).toBe(422);
    expect(expectErrorBody(422, r.body).code).toBe("InvalidReference");
  }
  expect(count()).toBe(before);
});
