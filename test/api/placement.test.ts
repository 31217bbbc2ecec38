// One placement path: a standalone container is placed by the scheduler exactly as a service unit of
// one is. Host ports are checked per host IP (a second container asking for a port its only host has
// given away is refused, naming the port; with another host free it goes there), affinity rules are
// applied (a rule no host satisfies refuses the create with the scheduler's reasons), soft rules
// rank, requestedHostId pins (skipping affinity, still checking ports), reservations count, and
// services and standalone containers see each other's ports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent, registerAgent } from "./fake-agent.ts";
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

const A = "io.rancher.scheduler.affinity:";

let server: RunningServer;
let admin: Client;
const agents: FakeAgent[] = [];

/** A project with `hostnames.length` connected fake hosts, named as given. */
async function environment(...hostnames: string[]): Promise<{ project: ProjectFixture; hosts: string[] }> {
  const project = await createProject(admin);
  const hosts: string[] = [];
  for (const hostname of hostnames) {
    const agent = new FakeAgent(server.url, await registerAgent(server.url, project.token, { hostname }));
    await agent.connect();
    agent.hello();
    agent.startPinging();
    agents.push(agent);
    hosts.push(agent.hostId);
  }
  await until("agents active", async () => {
    const list = expectStatus(await admin.get(`/v2-beta/projects/${project.id}/hosts`), 200).body.data;
    return (
      list.length === hosts.length && list.every((h: { agentState: string }) => h.agentState === "active")
    );
  });
  return { project, hosts };
}

function create(project: ProjectFixture, body: Record<string, unknown>) {
  return admin.post(`/v2-beta/projects/${project.id}/containers`, {
    imageUuid: "docker:busybox",
    name: uniqueName("c"),
    ...body,
  });
}

async function setLabels(hostId: string, labels: Record<string, string>): Promise<void> {
  expectStatus(await admin.put(`/v2-beta/hosts/${hostId}`, { labels }), 200);
}

beforeAll(() => {
  server = startTestServer();
  admin = adminClient(server);
});

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await server.stop();
});

describe("host ports", () => {
  test("a second container asking for a host port its only host gave away is refused, naming the port", async () => {
    const { project, hosts } = await environment("solo");
    const first = expectStatus(await create(project, { ports: ["8081:80"] }), 201).body;
    expect(first.hostId).toBe(hosts[0]);
    expect(first.publicEndpoints).toEqual([{ port: 8081, privatePort: 80, protocol: "tcp" }]);
    const before = nonAuditRows(server);
    const second = await create(project, { ports: ["8081:80"] });
    expect(second.status).toBe(422);
    expect(second.body.type).toBe("error");
    expect(second.body.message).toContain("8081");
    expect(second.body.message).toContain("solo");
    expect(nonAuditRows(server)).toBe(before);
    // Another protocol, or a random public port, does not collide.
    expectStatus(await create(project, { ports: ["8081:80/udp"] }), 201);
    expectStatus(await create(project, { ports: ["80"] }), 201);
  });

  test("with another host free, the second container goes there", async () => {
    const { project, hosts } = await environment("left", "right");
    const first = expectStatus(await create(project, { ports: ["8081:80"] }), 201).body;
    const second = expectStatus(await create(project, { ports: ["8081:80"] }), 201).body;
    expect([first.hostId, second.hostId].sort()).toEqual([...hosts].sort());
    const third = await create(project, { ports: ["8081:80"] });
    expect(third.status).toBe(422);
    expect(third.body.message).toMatch(/left: port 8081\/tcp taken.*right: port 8081\/tcp taken/);
  });

  test("a host declaring two IPs takes the port once per IP, each bound to its IP", async () => {
    const { project, hosts } = await environment("twoips");
    await setLabels(hosts[0]!, { "io.rancher.scheduler.ips": "10.9.0.1,10.9.0.2" });
    const a = expectStatus(await create(project, { ports: ["8082:80"] }), 201).body;
    const b = expectStatus(await create(project, { ports: ["8082:80"] }), 201).body;
    expect([a.ports, b.ports]).toEqual([["10.9.0.1:8082:80/tcp"], ["10.9.0.2:8082:80/tcp"]]);
    expect(b.publicEndpoints).toEqual([
      { port: 8082, privatePort: 80, protocol: "tcp", bindAddress: "10.9.0.2" },
    ]);
    expect((await create(project, { ports: ["8082:80"] })).status).toBe(422);
    // A port asked for on an IP the host does not have is refused with that reason.
    const elsewhere = await create(project, { ports: ["10.9.9.9:8083:80"] });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.message).toContain("ip 10.9.9.9 not on host");
  });
});

describe("affinity", () => {
  test("a host label no host carries refuses the create with the scheduler's message", async () => {
    const { project } = await environment("plain");
    const before = nonAuditRows(server);
    const r = await create(project, { labels: { [`${A}host_label`]: "disk=ssd" } });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe(`no host fits: plain: host label ${A}host_label disk=ssd not matched`);
    expect(nonAuditRows(server)).toBe(before);
  });

  test("hard and soft host labels choose the host", async () => {
    const { project, hosts } = await environment("hdd", "ssd");
    await setLabels(hosts[1]!, { disk: "ssd" });
    for (const key of [`${A}host_label`, `${A}host_label_soft`]) {
      const c = expectStatus(await create(project, { labels: { [key]: "disk=ssd" } }), 201).body;
      expect(c.hostId).toBe(hosts[1]);
    }
    const away = expectStatus(await create(project, { labels: { [`${A}host_label_ne`]: "disk=ssd" } }), 201);
    expect(away.body.hostId).toBe(hosts[0]);
  });

  test("container anti-affinity spreads standalone containers, then refuses", async () => {
    const { project, hosts } = await environment("a1", "a2");
    const labels = { app: "db", [`${A}container_label_ne`]: "app=db" };
    const one = expectStatus(await create(project, { labels }), 201).body;
    const two = expectStatus(await create(project, { labels }), 201).body;
    expect([one.hostId, two.hostId].sort()).toEqual([...hosts].sort());
    const three = await create(project, { labels });
    expect(three.status).toBe(422);
    expect(three.body.message).toContain(`container label ${A}container_label_ne app=db matched`);
  });

  test("requestedHostId pins the container: affinity is skipped, ports still count", async () => {
    const { project, hosts } = await environment("pinned");
    const c = expectStatus(
      await create(project, { requestedHostId: hosts[0], labels: { [`${A}host_label`]: "disk=ssd" } }),
      201,
    ).body;
    expect(c.hostId).toBe(hosts[0]);
    expectStatus(await create(project, { requestedHostId: hosts[0], ports: ["8084:80"] }), 201);
    const clash = await create(project, { requestedHostId: hosts[0], ports: ["8084:80"] });
    expect(clash.status).toBe(422);
    expect(clash.body.message).toContain("port 8084/tcp taken");
  });
});

describe("reservations", () => {
  test("a memory reservation larger than every host is refused with the amounts", async () => {
    const { project } = await environment("small");
    const r = await create(project, { memoryReservation: 64 * 1024 * 1024 });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/small: not enough memory: 64 MiB requested/);
  });
});

describe("one view of ports for services and containers", () => {
  test("a service unit cannot take a port a standalone container holds, and says why", async () => {
    const { project } = await environment("shared");
    expectStatus(await create(project, { ports: ["8085:80"] }), 201);
    const stack = expectStatus(
      await admin.post(`/v2-beta/projects/${project.id}/stacks`, {
        name: uniqueName("st"),
        dockerCompose: "version: '2'\nservices:\n  web:\n    image: busybox\n    ports: ['8085:80']\n",
      }),
      201,
    ).body;
    const message = await until("the service's schedulingMessage", async () => {
      const list = (await admin.get(`/v2-beta/projects/${project.id}/services?stackId=${stack.id}`)).body
        .data;
      return list[0]?.schedulingMessage as string | undefined;
    });
    expect(message).toBe("no host fits: shared: port 8085/tcp taken");
  });

  test("a standalone container cannot take a port a service unit holds", async () => {
    const { project } = await environment("svcfirst");
    const stack = expectStatus(
      await admin.post(`/v2-beta/projects/${project.id}/stacks`, {
        name: uniqueName("st"),
        dockerCompose: "version: '2'\nservices:\n  web:\n    image: busybox\n    ports: ['8086:80']\n",
      }),
      201,
    ).body;
    await until("the service's container", async () => {
      const list = (await admin.get(`/v2-beta/projects/${project.id}/containers?stackId=${stack.id}`)).body
        .data;
      return list.length === 1;
    });
    const r = await create(project, { ports: ["8086:80"] });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe("no host fits: svcfirst: port 8086/tcp taken");
  });
});

describe("no host can take work", () => {
  test("an environment whose only host is inactive refuses with 409", async () => {
    const { project, hosts } = await environment("sleepy");
    expectStatus(await admin.post(`/v2-beta/hosts/${hosts[0]}?action=deactivate`), 200);
    const r = await create(project, {});
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("InvalidState");
  });
});
