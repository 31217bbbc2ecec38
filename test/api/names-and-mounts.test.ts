// Gaps a Rancher 1.6 client met, through the API in-process with fake hosts (and the real CLI): a
// host lists the containers placed on it (`instanceIds`, what `rancher hosts ls` counts); stack and
// service names follow one rule through the API and compose (capitals kept, names differing only in
// case refused); `volumes_from` resolves to containers of the same environment on the same host,
// and what cannot resolve there is refused with a 422 that writes nothing; a stack's own top-level
// volumes are `<stack>_<volume>_<random>`, listed with the stack and removed with it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { $ } from "bun";
import { FakeAgent, registerAgent, type ServerEventFrame } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  type ProjectFixture,
  startTestServer,
  uniqueName,
  until,
} from "./harness.ts";

// Room for a busy machine: the waits inside have deadlines of their own.
setDefaultTimeout(60_000);

let server: RunningServer;
let admin: Client;
const agents: FakeAgent[] = [];

/** A project with connected fake hosts (one unless told) that record the create events they are sent. */
async function environment(
  count = 1,
): Promise<{ project: ProjectFixture; hostId: string; creates: ServerEventFrame[] }> {
  const project = await createProject(admin);
  const creates: ServerEventFrame[] = [];
  let hostId = "";
  for (let i = 0; i < count; i++) hostId = await joinHost(project, creates, `h${i}`);
  await until("hosts active", async () => {
    const list = expectStatus(await admin.get(`/v2-beta/projects/${project.id}/hosts`), 200).body.data;
    return list.length === count && list.every((h: { agentState: string }) => h.agentState === "active");
  });
  return { project, hostId, creates };
}

/** Joins one fake host to a project; its create events go to `creates`. */
async function joinHost(project: ProjectFixture, creates: ServerEventFrame[], hostname: string) {
  const agent = new FakeAgent(server.url, await registerAgent(server.url, project.token, { hostname }));
  const reply = agent.autoReply;
  agent.autoReply = (event) => {
    if (event.name === "instance.create") creates.push(event);
    return reply ? reply(event) : {};
  };
  await agent.connect();
  agent.hello();
  agent.startPinging();
  agents.push(agent);
  return agent.hostId;
}

beforeAll(() => {
  server = startTestServer();
  admin = adminClient(server);
});

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await server.stop();
});

describe("a host's instanceIds", () => {
  test("list the containers placed on it, and follow removals", async () => {
    const { project, hostId } = await environment();
    const p = `/v2-beta/projects/${project.id}`;
    expect(expectStatus(await admin.get(`${p}/hosts/${hostId}`), 200).body.instanceIds).toEqual([]);
    const made: string[] = [];
    for (let i = 0; i < 2; i++)
      made.push(
        expectStatus(await admin.post(`${p}/containers`, { imageUuid: "docker:busybox" }), 201).body.id,
      );
    const host = expectStatus(await admin.get(`${p}/hosts/${hostId}`), 200).body;
    expect([...host.instanceIds].sort()).toEqual([...made].sort());
    expect(host.links.containers).toContain(`hostId=${hostId}`);
    // The collection says the same (the CLI lists hosts, it does not read each one).
    const listed = expectStatus(await admin.get(`${p}/hosts`), 200).body.data[0];
    expect(listed.instanceIds.length).toBe(2);
    expectStatus(await admin.raw("DELETE", `${p}/containers/${made[0]}`), 200);
    await until("removed container gone from the host's list", async () => {
      const ids = expectStatus(await admin.get(`${p}/hosts`), 200).body.data[0].instanceIds;
      return ids.length === 1 && ids[0] === made[1];
    });
    const schema = expectStatus(await admin.get(`${p}/schemas/host`), 200).body;
    expect(schema.resourceFields.instanceIds.type).toBe("array[reference[instance]]");
  });
});

describe("stack and service names: one rule through the API and compose", () => {
  test("capitals are kept through the API as through compose; what Cattle refused is refused", async () => {
    const { project } = await environment();
    const p = `/v2-beta/projects/${project.id}`;
    const stack = expectStatus(await admin.post(`${p}/stacks`, { name: "My-Stack" }), 201).body;
    expect(stack.name).toBe("My-Stack");
    const lc = { imageUuid: "docker:busybox" };
    // Not started: nothing runs while the test counts rows.
    const svc = await admin.post(`${p}/services`, {
      name: "MyApp",
      stackId: stack.id,
      launchConfig: lc,
      startOnCreate: false,
    });
    expect(expectStatus(svc, 201).body.name).toBe("MyApp");
    // Compose takes the same name in another stack.
    const compose = await admin.post(`${p}/stacks`, {
      name: uniqueName("Compose"),
      dockerCompose: "MyApp:\n  image: busybox\n",
      startOnCreate: false,
    });
    expect(expectStatus(compose, 201).body.name).toMatch(/^Compose/);
    const before = nonAuditRows(server);
    for (const name of ["my--app", "-app", "a_b", "a.b", "a b", "x".repeat(64), ""]) {
      const r = await admin.post(`${p}/services`, { name, stackId: stack.id, launchConfig: lc });
      expect([name, r.status]).toEqual([name, 422]);
      expect(r.body.type).toBe("error");
    }
    for (const name of ["my--stack", "a_b", "-s"])
      expect((await admin.post(`${p}/stacks`, { name })).status).toBe(422);
    // Names that differ only in case share a DNS name: refused, as compose refuses them.
    const again = await admin.post(`${p}/services`, { name: "myapp", stackId: stack.id, launchConfig: lc });
    expect([again.status, again.body.code]).toEqual([409, "NotUnique"]);
    expect(again.body.message).toContain("MyApp");
    const stackAgain = await admin.post(`${p}/stacks`, { name: "my-stack" });
    expect([stackAgain.status, stackAgain.body.code]).toEqual([409, "NotUnique"]);
    expect(nonAuditRows(server)).toBe(before);
  });
});

const cli = join(import.meta.dir, "..", "..", "..", "shared", "tools", "rancher-cli", "rancher");

test.skipIf(!existsSync(cli))(
  "the real rancher CLI's up makes capitalised services (it posts each service)",
  async () => {
    const { project } = await environment();
    const work = mkdtempSync(join(tmpdir(), "corral-cli-caps-"));
    try {
      writeFileSync(
        join(work, "docker-compose.yml"),
        "version: '2'\nservices:\n  MyApp:\n    image: busybox\n    command: sleep 3600\n",
      );
      writeFileSync(join(work, "rancher-compose.yml"), "version: '2'\nservices:\n  MyApp:\n    scale: 1\n");
      const stack = uniqueName("Caps");
      const up =
        await $`${cli} --url ${server.url} --access-key ${server.admin.accessKey} --secret-key ${server.admin.secretKey!} --env ${project.id} up -s ${stack} -d`
          .cwd(work)
          .env({ HOME: work, PATH: process.env.PATH ?? "" })
          .nothrow()
          .quiet();
      expect([up.exitCode, up.stderr.toString()]).toEqual([0, ""]);
      const services = expectStatus(await admin.get(`/v2-beta/projects/${project.id}/services`), 200).body
        .data;
      expect(services.map((x: { name: string }) => x.name)).toEqual(["MyApp"]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

describe("volumes_from", () => {
  test("a service or container naming another environment's container is refused, writing nothing", async () => {
    const a = await environment();
    const secret = expectStatus(
      await admin.post(`/v2-beta/projects/${a.project.id}/containers`, {
        imageUuid: "docker:busybox",
        name: uniqueName("secret"),
      }),
      201,
    ).body;
    const b = await environment();
    const p = `/v2-beta/projects/${b.project.id}`;
    const stack = expectStatus(await admin.post(`${p}/stacks`, { name: uniqueName("s") }), 201).body;
    const before = nonAuditRows(server);
    for (const ref of [secret.name, secret.id]) {
      const svc = await admin.post(`${p}/services`, {
        name: "thief",
        stackId: stack.id,
        launchConfig: { imageUuid: "docker:busybox", dataVolumesFrom: [ref] },
      });
      expect(svc.status).toBe(422);
      expect(svc.body.code).toBe("InvalidReference");
      expect(svc.body.message).toContain("launchConfig.dataVolumesFrom[0]");
      const ctr = await admin.post(`${p}/containers`, {
        imageUuid: "docker:busybox",
        dataVolumesFrom: [ref],
      });
      expect([ctr.status, ctr.body.code]).toEqual([422, "InvalidReference"]);
    }
    expect(nonAuditRows(server)).toBe(before);
    // A service of another stack of the same environment is not this stack's either.
    const other = await admin.post(`${p}/stacks`, {
      name: uniqueName("o"),
      dockerCompose: "data:\n  image: busybox\n",
      startOnCreate: false,
    });
    expectStatus(other, 201);
    const before2 = nonAuditRows(server);
    const cross = await admin.post(`${p}/services`, {
      name: "web",
      stackId: stack.id,
      launchConfig: { imageUuid: "docker:busybox", dataVolumesFrom: ["data"] },
    });
    expect([cross.status, cross.body.code]).toEqual([422, "InvalidReference"]);
    expect(cross.body.message).toContain("no service data in this stack");
    expect(nonAuditRows(server)).toBe(before2);
    // Nothing of environment A was ever sent to B's host.
    expect(b.creates.map((e) => JSON.stringify(e.data))).not.toContainEqual(
      expect.stringContaining(secret.name),
    );
  });

  test("a standalone container mounts from its environment's container by id, placed on its host", async () => {
    const { project, hostId, creates } = await environment();
    const p = `/v2-beta/projects/${project.id}`;
    const source = expectStatus(
      await admin.post(`${p}/containers`, { imageUuid: "docker:busybox", name: uniqueName("src") }),
      201,
    ).body;
    const sourceRow = await until("source has its Docker id", async () => {
      const c = expectStatus(await admin.get(`${p}/containers/${source.id}`), 200).body;
      return c.externalId ? c : undefined;
    });
    const user = expectStatus(
      await admin.post(`${p}/containers`, { imageUuid: "docker:busybox", dataVolumesFrom: [source.name] }),
      201,
    ).body;
    expect(user.hostId).toBe(hostId);
    const spec = await until("user created", () =>
      creates
        .map((e) => (e.data as { spec: { containerId: string; volumesFrom?: string[] } }).spec)
        .find((x) => x.containerId === user.id),
    );
    expect(spec.volumesFrom).toEqual([sourceRow.externalId]);
  });

  test("a compose service's volumes_from reaches Docker as that service's container on the same host", async () => {
    const { project, creates } = await environment(2);
    const p = `/v2-beta/projects/${project.id}`;
    const name = uniqueName("vf");
    // A container called `data` that is not the stack's: Docker would take the name as written.
    const decoy = await admin.post(`${p}/containers`, { imageUuid: "docker:busybox", name: "data" });
    expectStatus(decoy, 201);
    const compose = [
      "version: '2'",
      "services:",
      "  data:",
      "    image: busybox",
      "  web:",
      "    image: busybox",
      "    volumes_from: [data]",
      "",
    ].join("\n");
    // Three units of web, two hosts: all go where data runs (spreading would have split them).
    const rancherCompose = "web:\n  scale: 3\n";
    expectStatus(await admin.post(`${p}/stacks`, { name, dockerCompose: compose, rancherCompose }), 201);
    const spec = (n: string) =>
      creates
        .map((e) => (e.data as { spec: { name: string; volumesFrom?: string[] } }).spec)
        .find((s) => s.name === n);
    const web = await until("web created", () => spec(`${name}-web-1`), 15_000);
    const data = expectStatus(await admin.get(`${p}/containers?name=${name}-data-1`), 200).body.data[0];
    expect(data.hostId).toBe(
      web && (await admin.get(`${p}/containers?name=${name}-web-1`)).body.data[0].hostId,
    );
    // The data container by its Docker id (or, before it has one, the name it was made with).
    expect([data.externalId, `${name}-data-1`]).toContain(web.volumesFrom?.[0]);
    expect(web.volumesFrom).not.toContain("data");
    const webs = await until(
      "three web containers",
      async () => {
        const list = expectStatus(await admin.get(`${p}/containers?name_prefix=${name}-web-`), 200).body.data;
        return list.length === 3 ? list : undefined;
      },
      15_000,
    );
    expect(webs.map((c: { hostId: string }) => c.hostId)).toEqual([data.hostId, data.hostId, data.hostId]);
  });
});

describe("top-level compose volumes", () => {
  test("a stack's own volume is <stack>_<volume>_<random>, listed with its stack and removed with it", async () => {
    const { project, creates } = await environment();
    const p = `/v2-beta/projects/${project.id}`;
    const compose = [
      "version: '2'",
      "services:",
      "  app:",
      "    image: busybox",
      "    volumes: [data:/d, shared:/s, own:/o, /anon, plain:/p]",
      "volumes:",
      "  data: {}",
      "  shared:",
      "    external: true",
      "  own:",
      "    per_container: true",
      "",
    ].join("\n");
    const specOf = (n: string) =>
      creates
        .map((e) => (e.data as { spec: { name: string; volumes?: string[] } }).spec)
        .find((s) => s.name === n);
    const stacks = [uniqueName("One"), uniqueName("two")];
    const ids: string[] = [];
    for (const name of stacks)
      ids.push(expectStatus(await admin.post(`${p}/stacks`, { name, dockerCompose: compose }), 201).body.id);
    const mounted: string[] = [];
    for (const name of stacks) {
      const spec = await until(`${name} app created`, () => specOf(`${name}-app-1`), 15_000);
      const data = spec.volumes?.find((v) => v.endsWith(":/d")) ?? "";
      expect(data).toMatch(new RegExp(`^${name}_data_[a-z0-9]{5}:/d$`));
      mounted.push(data.split(":")[0]!);
      // External volumes are the environment's, under their own name; per_container ones are
      // named per container by the host; v1-style volumes the file does not declare pass as written.
      expect(spec.volumes).toEqual(expect.arrayContaining(["shared:/s", "own:/o", "/anon", "plain:/p"]));
    }
    expect(mounted[0]).not.toBe(mounted[1]);
    // The per_container volume has a row per container (with its container), listed with the stack too.
    const volumes = expectStatus(await admin.get(`${p}/volumes?stackId=${ids[0]}&instanceId_null=`), 200).body
      .data;
    expect(volumes.map((v: { name: string; stackId: string }) => [v.name, v.stackId])).toEqual([
      [mounted[0], ids[0]],
    ]);
    const perContainer = expectStatus(
      await admin.get(`${p}/volumes?stackId=${ids[0]}&instanceId_notnull=`),
      200,
    ).body.data;
    expect(perContainer.map((v: { name: string }) => v.name)).toEqual([`own_${stacks[0]}-app-1`]);
    // The stack removes it, not a user while the stack is there.
    const refused = await admin.raw("DELETE", `${p}/volumes/${volumes[0].id}`);
    expect([refused.status, refused.body.code]).toEqual([409, "ActionNotAvailable"]);
    expect(refused.body.message).toContain("removed with the stack");
    // An upgrade keeps the volume (same data), and export writes the file's names back.
    const upgraded = await admin.post(`${p}/stacks/${ids[0]}?action=upgrade`, {
      dockerCompose: compose.replace("image: busybox", "image: busybox:1"),
    });
    expect(upgraded.status).toBeLessThan(300);
    const after = expectStatus(await admin.get(`${p}/volumes?stackId=${ids[0]}&instanceId_null=`), 200).body
      .data;
    expect(after.map((v: { name: string }) => v.name)).toEqual([mounted[0]]);
    expectStatus(await admin.raw("DELETE", `${p}/stacks/${ids[0]}`), 200);
    await until(
      "the stack's volume removed with it",
      async () => {
        const list = expectStatus(await admin.get(`${p}/volumes?stackId=${ids[0]}`), 200).body.data;
        return list.every((v: { state: string }) => v.state === "removed");
      },
      20_000,
    );
    const other = expectStatus(await admin.get(`${p}/volumes?stackId=${ids[1]}&instanceId_null=`), 200).body
      .data;
    expect(other.map((v: { state: string }) => v.state)).toEqual(["active"]);
    // An environment volume called `data` is another volume: the stack does not hold it.
    const env = expectStatus(await admin.post(`${p}/volumes`, { name: "data", driver: "local" }), 201).body;
    await until("environment volume settled", async () => {
      const v = expectStatus(await admin.get(`${p}/volumes/${env.id}`), 200).body;
      return v.state !== "creating";
    });
    const removed = await admin.raw("DELETE", `${p}/volumes/${env.id}`);
    expect(removed.status).toBeLessThan(300);
  });
});
