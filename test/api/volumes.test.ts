// The volume lifecycle Rancher 1.6 had, through the in-process server and a fake host: an external
// volume need not exist before the stack (the environment lists it from its first use, and no
// stack removes it); volumes list the hosts that hold them (a host links to its volumes); removal
// is refused, saying who uses it, while a container or service mounts it.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  uniqueName,
  until,
} from "./harness.ts";

setDefaultTimeout(60_000);

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

const p = () => `/v2-beta/projects/${project.id}`;
type Vol = { id: string; name: string; state: string; stackId: string | null; hostIds: string[] };

async function volumesNamed(name: string): Promise<Vol[]> {
  return expectStatus(await admin.get(`${p()}/volumes?name=${name}`), 200).body.data;
}

test("an external volume is made on first use, listed per host, kept by the stack, refused while in use", async () => {
  const ext = uniqueName("ext");
  const stackName = uniqueName("st");
  const compose = [
    "version: '2'",
    "services:",
    "  app:",
    "    image: busybox",
    `    volumes: [${ext}:/e, data:/d]`,
    "volumes:",
    "  data: {}",
    `  ${ext}:`,
    "    external: true",
    "",
  ].join("\n");
  expect(await volumesNamed(ext)).toEqual([]);
  const stack = expectStatus(
    await admin.post(`${p()}/stacks`, { name: stackName, dockerCompose: compose }),
    201,
  ).body;
  const [extVol] = await volumesNamed(ext);
  expect(extVol).toMatchObject({ name: ext, state: "active", stackId: null, driver: "local" });
  const own = expectStatus(await admin.get(`${p()}/volumes?stackId=${stack.id}`), 200).body.data as Vol[];
  expect(own).toHaveLength(1);

  // Once the container runs on the host, both volumes name the host, and the host links to them.
  await until(
    "volumes list the host",
    async () => {
      const all = [...(await volumesNamed(ext)), ...(await volumesNamed(own[0]!.name))];
      return all.every((v) => v.hostIds.includes(agent.hostId));
    },
    20_000,
  );
  const host = expectStatus(await admin.get(`${p()}/hosts/${agent.hostId}`), 200).body;
  const onHost = expectStatus(await admin.get(host.links.volumes.replace(server.url, "")), 200).body
    .data as Vol[];
  expect(onHost.map((v) => v.name).sort()).toEqual([ext, own[0]!.name].sort());

  // In use: refused with who uses it; nothing changes.
  const refused = await admin.raw("DELETE", `${p()}/volumes/${extVol!.id}`);
  expect([refused.status, refused.body.code]).toEqual([409, "ActionNotAvailable"]);
  expect(refused.body.message).toContain(`volume ${ext} is in use by service app`);
  expect((await volumesNamed(ext))[0]!.state).toBe("active");

  // A second stack naming the same external volume uses the same row.
  const other = uniqueName("st");
  expectStatus(await admin.post(`${p()}/stacks`, { name: other, dockerCompose: compose }), 201);
  expect((await volumesNamed(ext)).length).toBe(1);

  // Removing the stacks removes their own volumes, never the external one.
  for (const s of expectStatus(await admin.get(`${p()}/stacks`), 200).body.data)
    expectStatus(await admin.raw("DELETE", `${p()}/stacks/${s.id}`), 200);
  await until(
    "the stacks' own volumes removed",
    async () => {
      const list = expectStatus(await admin.get(`${p()}/volumes?stackId_notnull=`), 200).body.data as Vol[];
      return list.every((v) => v.state === "removed");
    },
    30_000,
  );
  expect((await volumesNamed(ext))[0]!.state).toBe("active");
  // Unused now: the user removes it.
  expect((await admin.raw("DELETE", `${p()}/volumes/${extVol!.id}`)).status).toBe(200);
});

test("a bad volume is refused with a clear message and nothing is made", async () => {
  for (const body of [
    { name: "x" },
    { name: "ok-name", driver: "" },
    { name: "ok-name", driver: "bad driver!" },
    { name: "ok-name", driverOpts: { o: 5 } },
    { name: "../etc" },
  ]) {
    const res = await admin.post(`${p()}/volumes`, body);
    expect(res.status).toBe(422);
    expect(res.body.message).toBeTruthy();
  }
  expect(await volumesNamed("ok-name")).toEqual([]);
});
