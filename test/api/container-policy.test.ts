// The environment's container policy through the API: each way into the host is refused under the
// default policy at every create path (container, service create and upgrade, stack create and
// upgrade) with a 422 naming the field and the rule, and nothing is written; once an admin allows
// it, the same request passes and the agent's spec carries the field. Only admins change policies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { defaultContainerPolicy, permissiveContainerPolicy } from "@corral/api";
import type { RunningServer } from "@corral/server";
import { parse } from "yaml";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  uniqueName,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let env: ProjectFixture;
let agent: FakeAgent;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  env = await createProject(admin);
  agent = await FakeAgent.join(server.url, env.token);
});

afterAll(async () => {
  await agent.close();
  await server.stop();
});

/** Each refused field: the container create body, the field the answer names, the rule, and the loosening. */
const refused: [string, Record<string, unknown>, string, string, Record<string, unknown>][] = [
  ["privileged", { privileged: true }, "privileged", "allowPrivileged", { allowPrivileged: true }],
  ["host network", { networkMode: "host" }, "networkMode", "allowHostNetwork", { allowHostNetwork: true }],
  ["host pid", { pidMode: "host" }, "pidMode", "allowHostPid", { allowHostPid: true }],
  ["host ipc", { ipcMode: "host" }, "ipcMode", "allowHostIpc", { allowHostIpc: true }],
  ["host uts", { uts: "host" }, "uts", "allowHostUts", { allowHostUts: true }],
  [
    "a host bind mount",
    { dataVolumes: ["/srv/corral-data:/data"] },
    "dataVolumes[0]",
    "allowedHostPaths",
    { allowedHostPaths: [{ pathPrefix: "/srv/corral-data" }] },
  ],
  [
    "an added capability",
    { capAdd: ["NET_ADMIN"] },
    "capAdd[0]",
    "allowedCapabilities",
    { allowedCapabilities: ["NET_ADMIN"] },
  ],
  ["a device", { devices: ["/dev/fuse"] }, "devices[0]", "allowedDevices", { allowedDevices: ["/dev/fuse"] }],
  [
    "an unconfined security option",
    { securityOpt: ["seccomp=unconfined"] },
    "securityOpt[0]",
    "allowSecurityOptOverrides",
    { allowSecurityOptOverrides: true },
  ],
];

const containers = (p: ProjectFixture) => `/v2-beta/projects/${p.id}/containers`;

/** A fresh environment (default policy) with a host, for tests that change its policy. */
async function freshEnv(): Promise<{ p: ProjectFixture; host: FakeAgent }> {
  const p = await createProject(admin);
  return { p, host: await FakeAgent.join(server.url, p.token) };
}

describe("the default policy of a new environment", () => {
  test("is shown on the project, everything refused", async () => {
    const project = expectStatus(await env.client.get(`/v2-beta/projects/${env.id}`), 200).body;
    expect(project.containerPolicy).toEqual(defaultContainerPolicy);
    const schema = expectStatus(await admin.get("/v2-beta/schemas/project"), 200).body;
    expect(schema.resourceFields.containerPolicy).toMatchObject({ type: "containerPolicy", update: true });
  });

  for (const [what, body, field, rule] of refused) {
    test(`refuses ${what} at container create, writing nothing`, async () => {
      const before = await settledFingerprint(server);
      const r = await env.client.post(containers(env), { imageUuid: "docker:busybox", ...body });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ type: "error", code: "InvalidOption" });
      expect(r.body.message).toStartWith(`${field}: `);
      expect(r.body.message).toContain(`(${rule})`);
      expect(r.body.detail).toEqual([expect.objectContaining({ field, policy: rule })]);
      expect(rowsFingerprint(server)).toBe(before);
    });
  }

  test("a plain container with the new keys that need no policy is created", async () => {
    const r = await env.client.post(containers(env), {
      imageUuid: "docker:busybox",
      readOnly: true,
      tmpfs: { "/run": "size=8m" },
      shmSize: 64 * 1024 * 1024,
      ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
      sysctls: { "net.core.somaxconn": "512" },
      securityOpt: ["no-new-privileges"],
      ipcMode: "shareable",
      capDrop: ["NET_RAW"],
      dnsSearch: ["corral.test"],
      extraHosts: ["db:10.0.0.9"],
      stopSignal: "SIGINT",
      stopTimeout: 5,
    });
    expectStatus(r, 201);
    expect(r.body).toMatchObject({ readOnly: true, tmpfs: { "/run": "size=8m" }, ipcMode: "shareable" });
  });

  test("refuses at service create, stack create and both upgrades, leaving what was there", async () => {
    const stack = expectStatus(
      await env.client.post(`/v2-beta/projects/${env.id}/stacks`, {
        name: uniqueName("pol"),
        dockerCompose: "services:\n  web:\n    image: busybox\n    command: sleep 3600\n",
        startOnCreate: false,
      }),
      201,
    ).body;
    const [web] = (await env.client.get(`/v2-beta/projects/${env.id}/services?stackId=${stack.id}`)).body
      .data;

    // Service create: a sidekick asking for /dev/mem (once the new stack is at rest).
    let before = await settledFingerprint(server);
    let r = await env.client.post(`/v2-beta/projects/${env.id}/services`, {
      name: "side",
      stackId: stack.id,
      launchConfig: { imageUuid: "docker:busybox" },
      secondaryLaunchConfigs: [{ name: "mem", imageUuid: "docker:busybox", devices: ["/dev/mem"] }],
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toStartWith(
      "service side: secondaryLaunchConfigs[0].devices[0]: host device /dev/mem",
    );
    expect(rowsFingerprint(server)).toBe(before);

    // Stack create: the second service is refused, so the first and the stack are not written either.
    before = await settledFingerprint(server);
    r = await env.client.post(`/v2-beta/projects/${env.id}/stacks`, {
      name: uniqueName("pol"),
      dockerCompose:
        "services:\n  ok:\n    image: busybox\n  root:\n    image: busybox\n    privileged: true\n    volumes: ['/:/host']\n",
    });
    expect(r.status).toBe(422);
    expect(r.body.detail.map((d: { field: string }) => d.field)).toEqual([
      "launchConfig.privileged",
      "launchConfig.dataVolumes[0]",
    ]);
    expect(r.body.message).toContain("service root: launchConfig.privileged");
    expect(rowsFingerprint(server)).toBe(before);

    // Stack upgrade and service upgrade: refused, the stack and the service stay as they were.
    r = await env.client.post(`/v2-beta/projects/${env.id}/stacks/${stack.id}?action=upgrade`, {
      dockerCompose: "services:\n  web:\n    image: busybox\n    pid: host\n",
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("(allowHostPid)");
    r = await env.client.post(`/v2-beta/projects/${env.id}/services/${web.id}?action=upgrade`, {
      inServiceStrategy: { launchConfig: { imageUuid: "docker:busybox", networkMode: "host" } },
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("(allowHostNetwork)");
    const after = (await env.client.get(`/v2-beta/projects/${env.id}/stacks/${stack.id}`)).body;
    expect(after.state).toBe("active");
    expect(after.dockerCompose).not.toContain("pid");
    const svc = (await env.client.get(`/v2-beta/projects/${env.id}/services/${web.id}`)).body;
    expect(svc).toMatchObject({ state: web.state, launchConfig: { networkMode: "managed" } });
    expect(svc.launchConfig.pidMode ?? null).toBeNull();

    // Top-level volumes that bind a host folder are host paths too.
    r = await env.client.post(`/v2-beta/projects/${env.id}/stacks`, {
      name: uniqueName("pol"),
      dockerCompose:
        "services:\n  a:\n    image: busybox\nvolumes:\n  root:\n    driver_opts: {type: none, o: bind, device: /}\n",
    });
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({
      field: "volumes.root.driver_opts.device",
      policy: "allowedHostPaths",
    });
  });
});

describe("an admin loosening the policy", () => {
  test("each rule, once allowed, lets its field through to the agent's spec", async () => {
    const { p, host } = await freshEnv();
    try {
      for (const [what, body, , , loosen] of refused) {
        expectStatus(await admin.put(`/v2-beta/projects/${p.id}`, { containerPolicy: loosen }), 200);
        host.autoReply = false;
        const made = expectStatus(
          await p.client.post(containers(p), { imageUuid: "docker:busybox", ...body }),
          201,
        ).body;
        const event = await host.nextEvent("instance.create");
        const spec = event.data.spec as Record<string, unknown>;
        const key = Object.keys(body)[0]!;
        // The agent's spec names volumes `volumes`; every other field keeps its name.
        expect(spec[key === "dataVolumes" ? "volumes" : key], what).toEqual(Object.values(body)[0]);
        host.reply(event.id, {
          containerId: made.id,
          dockerId: `d${made.id}`,
          name: made.name,
          state: "running",
        });
      }
      // Each change kept the rules set before it.
      const policy = (await admin.get(`/v2-beta/projects/${p.id}`)).body.containerPolicy;
      expect(policy).toMatchObject({ allowPrivileged: true, allowSecurityOptOverrides: true });
      expect(policy.allowedHostPaths).toEqual([{ pathPrefix: "/srv/corral-data", readOnly: false }]);
    } finally {
      await host.close();
    }
  });

  test("read-only host paths: a writable bind is refused, a read-only one passes", async () => {
    const { p, host } = await freshEnv();
    try {
      const containerPolicy = { allowedHostPaths: [{ pathPrefix: "/etc/ssl", readOnly: true }] };
      expectStatus(await admin.put(`/v2-beta/projects/${p.id}`, { containerPolicy }), 200);
      const rw = await p.client.post(containers(p), { imageUuid: "busybox", dataVolumes: ["/etc/ssl:/ssl"] });
      expect(rw.status).toBe(422);
      expect(rw.body.message).toContain("allowed read-only only");
      const outside = await p.client.post(containers(p), {
        imageUuid: "busybox",
        dataVolumes: ["/etc:/e:ro"],
      });
      expect(outside.status).toBe(422);
      expectStatus(
        await p.client.post(containers(p), { imageUuid: "busybox", dataVolumes: ["/etc/ssl:/ssl:ro"] }),
        201,
      );
    } finally {
      await host.close();
    }
  });

  test("an admin may create an environment with its policy", async () => {
    const r = expectStatus(
      await admin.post("/v2-beta/projects", {
        name: uniqueName("env"),
        containerPolicy: permissiveContainerPolicy,
      }),
      201,
    );
    expect(r.body.containerPolicy).toEqual(permissiveContainerPolicy);
  });
});

test("a container joins the namespace or volumes of its own environment's containers only", async () => {
  const { p: other, host } = await freshEnv();
  try {
    const victim = uniqueName("victim");
    const made = expectStatus(
      await other.client.post(containers(other), { name: victim, imageUuid: "busybox" }),
      201,
    ).body;
    const mine = uniqueName("mine");
    expectStatus(await env.client.post(containers(env), { name: mine, imageUuid: "busybox" }), 201);
    // The two containers above are still moving to running: count rows instead of fingerprinting them.
    const count = () => server.store.all("container", {}).length;
    const before = count();
    for (const body of [
      { dataVolumesFrom: [victim] },
      { networkMode: `container:${victim}` },
      { dataVolumesFrom: [mine, victim] },
      { dataVolumesFrom: [`d${made.id}`] },
    ]) {
      const r = await env.client.post(containers(env), { imageUuid: "busybox", ...body });
      expect(r.status).toBe(422);
      expect(r.body.code).toBe("InvalidReference");
      expect(r.body.message).toContain("in this environment");
    }
    expect(count()).toBe(before);
    // A service's launch config as well (its sidekicks join it through networkLaunchConfig instead).
    const stack = expectStatus(
      await env.client.post(`/v2-beta/projects/${env.id}/stacks`, {
        name: uniqueName("ref"),
        startOnCreate: false,
      }),
      201,
    ).body;
    const svc = await env.client.post(`/v2-beta/projects/${env.id}/services`, {
      name: "joiner",
      stackId: stack.id,
      launchConfig: { imageUuid: "docker:busybox", networkMode: `container:${victim}` },
    });
    expect(svc.status).toBe(422);
    expect(svc.body).toMatchObject({ code: "InvalidReference" });
    expect(svc.body.message).toStartWith("launchConfig.networkMode: no container");
    expectStatus(
      await env.client.post(containers(env), { imageUuid: "busybox", dataVolumesFrom: [mine] }),
      201,
    );
    expectStatus(
      await env.client.post(containers(env), { imageUuid: "busybox", networkMode: `container:${mine}` }),
      201,
    );
  } finally {
    await host.close();
  }
});

describe("who may change a policy", () => {
  test("an environment key cannot loosen its own policy", async () => {
    const before = await settledFingerprint(server);
    for (const containerPolicy of [{ allowPrivileged: true }, permissiveContainerPolicy, {}]) {
      const r = await env.client.put(`/v2-beta/projects/${env.id}`, { containerPolicy });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: "PermissionDenied" });
      expect(r.body.message).toContain("containerPolicy");
    }
    expect(rowsFingerprint(server)).toBe(before);
    const project = (await env.client.get(`/v2-beta/projects/${env.id}`)).body;
    expect(project.containerPolicy.allowPrivileged).toBe(false);
    expect((await env.client.post(containers(env), { imageUuid: "busybox", privileged: true })).status).toBe(
      422,
    );
  });

  test("garbage policies are refused with the field named", async () => {
    const cases: [unknown, string][] = [
      [{ allowPrivileged: "yes" }, "InvalidFormat"],
      [{ allowedHostPaths: [{ pathPrefix: "relative/path" }] }, "InvalidFormat"],
      [{ allowedHostPaths: ["/srv"] }, "InvalidFormat"],
      [{ allowedCapabilities: ["NET ADMIN; rm"] }, "InvalidFormat"],
      [{ allowedDevices: ["/dev/x:/dev/y"] }, "InvalidFormat"],
      [{ allowEverything: true }, "InvalidFormat"],
      ["all", "InvalidFormat"],
    ];
    const before = await settledFingerprint(server);
    for (const [containerPolicy, code] of cases) {
      const r = await admin.put(`/v2-beta/projects/${env.id}`, { containerPolicy });
      expect(r.status).toBe(422);
      expect(r.body.code).toBe(code);
      expect(r.body.message).toContain("containerPolicy");
    }
    expect(rowsFingerprint(server)).toBe(before);
  });
});

test("exportconfig gives the new keys back as compose keys", async () => {
  const { p, host } = await freshEnv();
  try {
    expectStatus(
      await admin.put(`/v2-beta/projects/${p.id}`, { containerPolicy: permissiveContainerPolicy }),
      200,
    );
    const dockerCompose = [
      "services:",
      "  web:",
      "    image: busybox",
      "    pid: host",
      "    ipc: host",
      "    uts: host",
      "    security_opt: [apparmor=unconfined]",
      "    ulimits: {nofile: {soft: 1024, hard: 2048}}",
      "    sysctls: {net.core.somaxconn: '512'}",
      "    tmpfs: ['/run:size=8m']",
      "    shm_size: 64m",
      "    read_only: true",
      "    cap_add: [NET_ADMIN]",
      "    cap_drop: [MKNOD]",
      "    devices: [/dev/fuse]",
      "    dns_search: [corral.test]",
      "    extra_hosts: ['db:10.0.0.9']",
      "    stop_signal: SIGINT",
      "    stop_grace_period: 7s",
      "",
    ].join("\n");
    const stack = expectStatus(
      await p.client.post(`/v2-beta/projects/${p.id}/stacks`, {
        name: uniqueName("keys"),
        dockerCompose,
        startOnCreate: false,
      }),
      201,
    ).body;
    const exported = expectStatus(
      await p.client.post(`/v2-beta/projects/${p.id}/stacks/${stack.id}?action=exportconfig`, {}),
      200,
    ).body;
    expect(parse(exported.dockerComposeConfig).services.web).toMatchObject({
      pid: "host",
      ipc: "host",
      uts: "host",
      security_opt: ["apparmor=unconfined"],
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
      sysctls: { "net.core.somaxconn": "512" },
      tmpfs: ["/run:size=8m"],
      shm_size: 64 * 1024 * 1024,
      read_only: true,
      cap_add: ["NET_ADMIN"],
      cap_drop: ["MKNOD"],
      devices: ["/dev/fuse"],
      dns_search: ["corral.test"],
      extra_hosts: ["db:10.0.0.9"],
      stop_signal: "SIGINT",
      stop_grace_period: "7s",
    });
  } finally {
    await host.close();
  }
});
