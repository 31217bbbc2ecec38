/**
 * The world of the role matrix test: one environment with a fake host, four people holding one role
 * each there (with real account API keys), one person who is no member, the admin and the
 * environment's own key; plus factories that make fresh rows for the verbs that change them.
 */
import { parseId } from "@corral/api";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  uniqueName,
  until,
} from "./harness.ts";

/** Who calls: the admin, the environment's key, a member of each role, a person of no environment. */
export const everyone = ["admin", "envKey", "owner", "member", "restricted", "readonly", "outsider"] as const;
/** One of `everyone`. */
export type Who = (typeof everyone)[number];
/** The four roles. */
export const roleNames = ["owner", "member", "restricted", "readonly"] as const;

/** The shared world. */
export interface World {
  server: RunningServer;
  admin: Client;
  project: ProjectFixture;
  /** Each caller's client for the shared environment. */
  clients: Record<Who, Client>;
  /** Account ids of the people. */
  accounts: Record<(typeof roleNames)[number] | "outsider", string>;
  agents: FakeAgent[];
  /** Shared rows, never changed by an allowed verb. */
  shared: Record<string, string>;
}

/** Makes a person's account and a real account API key for them (made by the admin). */
export async function person(admin: Client, name: string): Promise<{ accountId: string; client: Client }> {
  const account = expectStatus(await admin.post("/v2-beta/accounts", { name: uniqueName(name) }), 201).body;
  const key = expectStatus(await admin.post("/v2-beta/apikeys", { accountId: account.id }), 201).body;
  return { accountId: account.id, client: admin.as(basic(key.publicValue, key.secretValue)) };
}

/** The setmembers body giving each role person their role. */
export function membersBody(w: Pick<World, "accounts">) {
  return {
    members: roleNames.map((role) => ({
      externalId: w.accounts[role],
      externalIdType: "rancher_id",
      role,
    })),
  };
}

/** Starts the server and makes the world. */
export async function buildWorld(): Promise<World> {
  const server = startTestServer();
  const admin = adminClient(server);
  const project = await createProject(admin);
  const agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
  const clients = { admin, envKey: project.client } as Record<Who, Client>;
  const accounts = {} as World["accounts"];
  for (const who of [...roleNames, "outsider"] as const) {
    const p = await person(admin, who);
    clients[who] = p.client;
    accounts[who] = p.accountId;
  }
  const w: World = { server, admin, project, clients, accounts, agents: [agent], shared: {} };
  expectStatus(await admin.post(`/v2-beta/projects/${project.id}?action=setmembers`, membersBody(w)), 200);
  const f = factories(w);
  w.shared = {
    project: project.id,
    host: agent.hostId,
    envKey: project.key.id,
    token: project.tokenId,
    member: expectStatus(await admin.get(`${f.base}/projectmembers?role=owner`), 200).body.data[0].id,
    container: await f.container(),
    stack: await f.stack(),
    infraStack: await f.infraStack(),
    volume: await f.volume(),
    certificate: await f.certificate(),
  };
  w.shared.service = await f.service(w.shared.stack!, "active");
  w.shared.infraService = await f.service(w.shared.infraStack!, "active");
  w.shared.infraContainer = await f.containerOf(w.shared.infraService);
  w.shared.receiver = await f.receiver();
  w.shared.auditLog = expectStatus(await admin.get(`${f.base}/auditlogs?limit=1`), 200).body.data[0].id;
  return w;
}

const compose = "services:\n  web:\n    image: busybox\n    command: sleep 3600\n";

/** Makers of fresh rows, each in the state its verb needs, as the admin. */
export function factories(w: World) {
  const { admin, server } = w;
  const base = `/v2-beta/projects/${w.project.id}`;
  const stateOf = async (path: string) => (await admin.get(path)).body.state as string;
  const waitState = (path: string, states: string[]) =>
    until(`${path} ${states.join("|")}`, async () => states.includes(await stateOf(path)), 20_000);
  const f = {
    base,
    async container(): Promise<string> {
      const c = expectStatus(await admin.post(`${base}/containers`, { imageUuid: "busybox" }), 201).body;
      await waitState(`${base}/containers/${c.id}`, ["running"]);
      return c.id;
    },
    async stoppedContainer(): Promise<string> {
      const id = await f.container();
      expectStatus(await admin.post(`${base}/containers/${id}?action=stop`, {}), 202);
      await waitState(`${base}/containers/${id}`, ["stopped"]);
      return id;
    },
    async removedContainer(): Promise<string> {
      const id = await f.container();
      expectStatus(await admin.del(`${base}/containers/${id}`), 200);
      await waitState(`${base}/containers/${id}`, ["removed"]);
      return id;
    },
    async stack(): Promise<string> {
      const s = expectStatus(
        await admin.post(`${base}/stacks`, {
          name: uniqueName("st"),
          dockerCompose: compose,
          startOnCreate: false,
        }),
        201,
      ).body;
      await waitState(`${base}/stacks/${s.id}`, ["active"]);
      return s.id;
    },
    /** A stack flagged as infrastructure (no API verb sets the flag, as in the code today). */
    async infraStack(): Promise<string> {
      const id = await f.stack();
      server.store.update(parseId("stack", id)!, { data: { system: true } });
      return id;
    },
    async service(stackId: string, state: "active" | "inactive"): Promise<string> {
      const s = expectStatus(
        await admin.post(`${base}/services`, {
          name: uniqueName("svc"),
          stackId,
          launchConfig: { imageUuid: "docker:busybox", command: ["sleep", "3600"] },
          startOnCreate: state === "active",
        }),
        201,
      ).body;
      await waitState(`${base}/services/${s.id}`, [state]);
      return s.id;
    },
    async containerOf(serviceId: string): Promise<string> {
      return until(
        "a running container of the service",
        async () =>
          (await admin.get(`${base}/containers?serviceId=${serviceId}&state=running`)).body.data[0]?.id as
            | string
            | undefined,
        20_000,
      );
    },
    async infraContainer(): Promise<string> {
      return f.containerOf(await f.service(w.shared.infraStack!, "active"));
    },
    async volume(): Promise<string> {
      return expectStatus(await admin.post(`${base}/volumes`, { name: uniqueName("vol") }), 201).body.id;
    },
    async receiver(): Promise<string> {
      const body = {
        name: uniqueName("hook"),
        driver: "scaleService",
        scaleServiceConfig: { serviceId: w.shared.service, action: "up", amount: 1, min: 1, max: 3 },
      };
      return expectStatus(await admin.post(`${base}/receivers`, body), 201).body.id;
    },
    async certificate(): Promise<string> {
      return expectStatus(
        await admin.post(`${base}/certificates`, {
          name: uniqueName("cert"),
          generate: { hostname: "a.test" },
        }),
        201,
      ).body.id;
    },
    async envKey(active = true): Promise<string> {
      const k = expectStatus(await admin.post(`${base}/apikeys`, {}), 201).body.id;
      if (!active) expectStatus(await admin.post(`/v2-beta/apikeys/${k}?action=deactivate`, {}), 200);
      return k;
    },
    async token(active = true): Promise<string> {
      const t = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.id;
      if (!active)
        expectStatus(await admin.post(`${base}/registrationtokens/${t}?action=deactivate`, {}), 200);
      return t;
    },
    /** A fresh host of the environment (a fake agent joining it), active or inactive. */
    async host(active = true): Promise<string> {
      const agent = await FakeAgent.join(server.url, w.project.token);
      w.agents.push(agent);
      await until("agent connected", () => server.hub.isConnected(agent.hostId));
      await waitState(`/v2-beta/hosts/${agent.hostId}`, ["active"]);
      if (!active)
        expectStatus(await admin.post(`/v2-beta/hosts/${agent.hostId}?action=deactivate`, {}), 200);
      return agent.hostId;
    },
    /**
     * A fresh environment with the same members (and its own environment key, which `envKey` callers
     * use there), active or inactive.
     */
    async project(active = true): Promise<{ id: string; envKey: Client }> {
      const p = await createProject(admin);
      expectStatus(await admin.post(`/v2-beta/projects/${p.id}?action=setmembers`, membersBody(w)), 200);
      if (!active) expectStatus(await admin.post(`/v2-beta/projects/${p.id}?action=deactivate`, {}), 200);
      return { id: p.id, envKey: p.client };
    },
  };
  return f;
}
