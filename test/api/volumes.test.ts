// The volume lifecycle Rancher 1.6 had, through the in-process server and a fake host: an external
// volume need not exist before the stack (the environment lists it from its first use, and no
// stack removes it); volumes list the hosts that hold them (a host links to its volumes); removal
// is refused, saying who uses it, while a container or service mounts it. A per_container volume
// has a row per container, removed (row and Docker volume) with its container and its stack.
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
/** The volumes the host was asked to remove, in order. */
const volumeRemoves: string[] = [];

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  const reply = agent.autoReply;
  agent.autoReply = (event) => {
    if (event.name === "volume.remove") volumeRemoves.push((event.data as { name: string }).name);
    return reply ? reply(event) : {};
  };
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
});

afterAll(async () => {
  await agent?.close();
  await server.stop();
});

const p = () => `/v2-beta/projects/${project.id}`;
type Vol = {
  id: string;
  name: string;
  state: string;
  stackId: string | null;
  instanceId: string | null;
  hostIds: string[];
  driver: string;
  driverOpts: Record<string, string>;
};
type Ctr = { id: string; name: string; state: string };

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

test("a per_container volume has a row per container, removed with its container and its stack", async () => {
  const stackName = uniqueName("pc");
  const compose = [
    "version: '2'",
    "services:",
    "  app:",
    "    image: busybox",
    "    volumes: [cache:/c, data:/d]",
    "volumes:",
    "  data: {}",
    "  cache:",
    "    per_container: true",
    "    driver_opts: {type: tmpfs, device: tmpfs}",
    "",
  ].join("\n");
  const stack = expectStatus(
    await admin.post(`${p()}/stacks`, {
      name: stackName,
      dockerCompose: compose,
      rancherCompose: "app:\n  scale: 2\n",
    }),
    201,
  ).body;
  const running = async (): Promise<Ctr[]> => {
    const list = expectStatus(await admin.get(`${p()}/containers?stackId=${stack.id}`), 200).body
      .data as Ctr[];
    return list.filter((c) => c.state === "running");
  };
  const containers = await until("two containers running", async () => {
    const list = await running();
    return list.length === 2 ? list : null;
  });
  const perContainer = async () =>
    expectStatus(await admin.get(`${p()}/volumes?stackId=${stack.id}&instanceId_notnull=`), 200).body
      .data as Vol[];

  // One row per container, named as the host names the Docker volume, with the stack's options.
  const rows = await until("per-container volumes on the host", async () => {
    const list = await perContainer();
    return list.length === 2 && list.every((v) => v.hostIds.includes(agent.hostId)) ? list : null;
  });
  const byContainer = new Map(rows.map((v) => [v.instanceId, v]));
  for (const c of containers)
    expect(byContainer.get(c.id)).toMatchObject({
      name: `cache_${c.name}`,
      state: "active",
      stackId: stack.id,
      driver: "local",
      driverOpts: { type: "tmpfs", device: "tmpfs" },
      hostIds: [agent.hostId],
    });
  const first = byContainer.get(containers[0]!.id)!;
  expect(
    expectStatus(await admin.get(`${p()}/volumes?instanceId=${containers[0]!.id}`), 200).body.data.map(
      (v: Vol) => v.id,
    ),
  ).toEqual([first.id]);
  // The host lists them with its other volumes.
  const onHost = expectStatus(await admin.get(`${p()}/volumes?hostIds_like=%22${agent.hostId}%22`), 200).body
    .data as Vol[];
  expect(onHost.map((v) => v.name)).toEqual(expect.arrayContaining(rows.map((v) => v.name)));
  // The stack's own volume is still one for the stack.
  const own = expectStatus(await admin.get(`${p()}/volumes?stackId=${stack.id}&instanceId_null=`), 200).body
    .data;
  expect(own).toHaveLength(1);

  // In use by its container: refused, saying so; nothing changes.
  const refused = await admin.raw("DELETE", `${p()}/volumes/${first.id}`);
  expect([refused.status, refused.body.code]).toEqual([409, "ActionNotAvailable"]);
  expect(refused.body.message).toContain(`in use by container ${containers[0]!.name}`);
  expect(expectStatus(await admin.get(`${p()}/volumes/${first.id}`), 200).body.state).toBe("active");

  // Scaled down: the container that goes takes its volume along, from the host too.
  const svc = expectStatus(await admin.get(`${p()}/services?stackId=${stack.id}`), 200).body.data[0];
  expectStatus(await admin.put(`${p()}/services/${svc.id}`, { scale: 1 }), 200);
  const [kept] = await until("one container left", async () => {
    const list = await running();
    const all = expectStatus(await admin.get(`${p()}/containers?stackId=${stack.id}`), 200).body
      .data as Ctr[];
    return list.length === 1 && all.filter((c) => c.state !== "removed").length === 1 ? list : null;
  });
  const gone = rows.find((v) => v.instanceId !== kept!.id)!;
  await until("the removed container's volume removed", async () => {
    const v = expectStatus(await admin.get(`${p()}/volumes/${gone.id}`), 200).body as Vol;
    return v.state === "removed";
  });
  expect(volumeRemoves).toContain(gone.name);
  const keptVolume = rows.find((v) => v.instanceId === kept!.id)!;
  expect(volumeRemoves).not.toContain(keptVolume.name);
  expect(expectStatus(await admin.get(`${p()}/volumes/${keptVolume.id}`), 200).body.state).toBe("active");

  // Removing the stack removes the rest, rows and Docker volumes.
  expectStatus(await admin.raw("DELETE", `${p()}/stacks/${stack.id}`), 200);
  await until(
    "the stack's volumes removed",
    async () => {
      const list = expectStatus(await admin.get(`${p()}/volumes?stackId=${stack.id}`), 200).body
        .data as Vol[];
      return list.length === 3 && list.every((v) => v.state === "removed");
    },
    30_000,
  );
  expect(volumeRemoves).toContain(keptVolume.name);
});

test("a standalone container's per-container volume is removed with the container", async () => {
  const name = uniqueName("solo");
  const c = expectStatus(
    await admin.post(`${p()}/containers`, {
      name,
      imageUuid: "docker:busybox",
      dataVolumes: ["scratch:/s"],
      volumeTemplates: { scratch: { driver: "local", driverOpts: {}, perContainer: true } },
    }),
    201,
  ).body;
  const [row] = await until("its volume listed on the host", async () => {
    const list = await volumesNamed(`scratch_${name}`);
    return list.length === 1 && list[0]!.hostIds.includes(agent.hostId) ? list : null;
  });
  expect(row).toMatchObject({ instanceId: c.id, stackId: null, state: "active" });
  // An environment volume called `scratch` is another volume: the container does not hold it.
  const env = expectStatus(await admin.post(`${p()}/volumes`, { name: "scratch" }), 201).body;
  await until("environment volume made", async () => (await volumesNamed("scratch"))[0]?.state === "active");
  expect((await admin.raw("DELETE", `${p()}/volumes/${env.id}`)).status).toBe(200);

  expect((await admin.raw("DELETE", `${p()}/volumes/${row!.id}`)).status).toBe(409);
  expect((await admin.raw("DELETE", `${p()}/containers/${c.id}`)).status).toBeLessThan(300);
  await until(
    "the container's volume removed",
    async () => (await volumesNamed(`scratch_${name}`))[0]?.state === "removed",
  );
  expect(volumeRemoves).toContain(`scratch_${name}`);
});
