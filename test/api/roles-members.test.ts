// Environment members over HTTP: setmembers replaces the list in one go and refuses bad lists with
// 422 leaving the old one; groups give their members a role and the highest role wins; a person who
// makes an environment owns it; people list and revoke their own account keys, never others'.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseId } from "@corral/api";
import type { RunningServer } from "@corral/server";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  uniqueName,
} from "./harness.ts";
import { person } from "./roles-kit.ts";

let server: RunningServer;
let admin: Client;
let env: ProjectFixture;
let alice: { accountId: string; client: Client };
let bob: { accountId: string; client: Client };

const setmembers = (client: Client, members: unknown) =>
  client.post(`/v2-beta/projects/${env.id}?action=setmembers`, { members });
const membersNow = async () =>
  expectStatus(await admin.get(`/v2-beta/projects/${env.id}/projectmembers?state=active`), 200)
    .body.data.map((m: Record<string, string>) => `${m.externalIdType} ${m.externalId} ${m.role}`)
    .sort();

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  env = await createProject(admin);
  alice = await person(admin, "alice");
  bob = await person(admin, "bob");
});

afterAll(() => server.stop());

describe("setmembers", () => {
  test("replaces the list in one go, and members read it as Rancher's projectMember", async () => {
    const r = await setmembers(admin, [
      { externalId: alice.accountId, externalIdType: "rancher_id", role: "owner" },
      { externalId: "cn=ops,dc=test", externalIdType: "ldap_group", role: "member", name: "ops" },
    ]);
    expect(expectStatus(r, 200).body).toMatchObject({ type: "project", id: env.id });
    const list = expectStatus(await alice.client.get(`/v2-beta/projects/${env.id}/projectmembers`), 200).body;
    expect(list.resourceType).toBe("projectMember");
    const group = list.data.find((m: { externalIdType: string }) => m.externalIdType === "ldap_group");
    expect(group).toMatchObject({
      type: "projectMember",
      name: "ops",
      externalId: "cn=ops,dc=test",
      role: "member",
      projectId: env.id,
      accountId: env.id,
      state: "active",
    });
    expect(group.id).toStartWith("1pm");
    // The same rows by the global collection and by id.
    expectStatus(await alice.client.get(`/v2-beta/projectmembers/${group.id}`), 200);
    const global = expectStatus(await alice.client.get("/v2-beta/projectmembers"), 200).body;
    expect(global.data.map((m: { id: string }) => m.id)).toContain(group.id);
    // Bob is no member: the environment and its members do not exist for him.
    expect((await bob.client.get(`/v2-beta/projects/${env.id}`)).status).toBe(404);
    expect((await bob.client.get(`/v2-beta/projectmembers/${group.id}`)).status).toBe(404);
    expect((await bob.client.get("/v2-beta/projectmembers")).body.data).toEqual([]);
    // Setting the same list again changes no row.
    const before = list.data.map((m: { id: string }) => m.id).sort();
    expectStatus(
      await setmembers(alice.client, [
        { externalId: alice.accountId, externalIdType: "rancher_id", role: "owner" },
        { externalId: "cn=ops,dc=test", externalIdType: "ldap_group", role: "member", name: "ops" },
      ]),
      200,
    );
    const after = (await admin.get(`/v2-beta/projects/${env.id}/projectmembers?state=active`)).body.data;
    expect(after.map((m: { id: string }) => m.id).sort()).toEqual(before);
  });

  test("refuses bad lists with 422 and a clear message, leaving the members as they were", async () => {
    const before = await membersNow();
    const owner = { externalId: alice.accountId, externalIdType: "rancher_id", role: "owner" };
    const cases: [unknown, string][] = [
      [[owner, { externalId: "x", externalIdType: "msad_user", role: "member" }], "members.1.externalIdType"],
      [[owner, { externalId: bob.accountId, externalIdType: "rancher_id", role: "admin" }], "members.1.role"],
      [[owner, { ...owner, role: "member" }], "listed twice"],
      [[{ ...owner, role: "member" }], "at least one owner"],
      [[], "at least one owner"],
      [
        [owner, { externalId: "1a999999", externalIdType: "rancher_id", role: "member" }],
        "no account 1a999999",
      ],
      [[owner, { externalId: "", externalIdType: "github_user", role: "member" }], "members.1.externalId"],
      [[{ ...owner, extra: 1 }], "extra"],
      ["everyone", "members"],
      [null, "members"],
    ];
    for (const [members, message] of cases) {
      const r = await setmembers(admin, members);
      expect([members, r.status, r.body.type]).toEqual([members, 422, "error"]);
      expect(r.body.message).toContain(message);
    }
    const garbage = await admin.raw("POST", `/v2-beta/projects/${env.id}?action=setmembers`, {
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect(garbage.status).toBeGreaterThanOrEqual(400);
    expect(garbage.status).toBeLessThan(500);
    expect(await membersNow()).toEqual(before);
  });

  test("only owners (and admins) may set members: a member is refused with its role named", async () => {
    const other = await createProject(admin);
    expectStatus(
      await admin.post(`/v2-beta/projects/${other.id}?action=setmembers`, {
        members: [
          { externalId: bob.accountId, externalIdType: "rancher_id", role: "owner" },
          { externalId: alice.accountId, externalIdType: "rancher_id", role: "member" },
        ],
      }),
      200,
    );
    const r = await alice.client.post(`/v2-beta/projects/${other.id}?action=setmembers`, {
      members: [{ externalId: alice.accountId, externalIdType: "rancher_id", role: "owner" }],
    });
    expect(r.status).toBe(403);
    expect(r.body.message).toContain("is member");
    // The refusal is audited: who tried what, and the answer.
    const audit = expectStatus(await admin.get(`/v2-beta/projects/${other.id}/auditlogs?limit=1000`), 200)
      .body.data;
    expect(
      audit.find(
        (a: { eventType: string; responseCode: number }) =>
          a.eventType === "api.project.setmembers" && a.responseCode === 403,
      ),
    ).toMatchObject({
      authenticatedAsAccountId: alice.accountId,
      resourceId: other.id,
    });
  });
});

describe("identities and roles", () => {
  test("a group's members get its role, and the highest of a person's roles wins", async () => {
    const carol = await person(admin, "carol");
    const p = await createProject(admin);
    const members = (groupRole: string) => ({
      members: [
        { externalId: alice.accountId, externalIdType: "rancher_id", role: "owner" },
        { externalId: carol.accountId, externalIdType: "rancher_id", role: "readonly" },
        { externalId: "dev-team", externalIdType: "github_team", role: groupRole },
      ],
    });
    expectStatus(await admin.post(`/v2-beta/projects/${p.id}?action=setmembers`, members("member")), 200);
    const tryToken = () => carol.client.post(`/v2-beta/projects/${p.id}/registrationtokens`, {});
    expect((await tryToken()).status).toBe(403);
    // Carol's login provider says she is in the team (stored on her account at login).
    server.store.update(parseId("account", carol.accountId)!, {
      data: { identities: [{ externalId: "dev-team", externalIdType: "github_team", name: "dev" }] },
    });
    expect((await tryToken()).status).toBe(201);
    // The team drops to read-only: carol's own readonly and the team's readonly, so no tokens.
    expectStatus(await admin.post(`/v2-beta/projects/${p.id}?action=setmembers`, members("readonly")), 200);
    expect((await tryToken()).status).toBe(403);
    expect((await carol.client.get(`/v2-beta/projects/${p.id}`)).status).toBe(200);
  });

  test("a person who makes an environment becomes its owner, and sees only their environments", async () => {
    const dave = await person(admin, "dave");
    const made = expectStatus(
      await dave.client.post("/v2-beta/projects", { name: uniqueName("dave") }),
      201,
    ).body;
    const members = expectStatus(await dave.client.get(`/v2-beta/projects/${made.id}/projectmembers`), 200)
      .body.data;
    expect(members.map((m: Record<string, string>) => [m.externalIdType, m.externalId, m.role])).toEqual([
      ["rancher_id", dave.accountId, "owner"],
    ]);
    const listed = expectStatus(await dave.client.get("/v2-beta/projects"), 200).body.data;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([made.id]);
    // The admin sees every environment.
    const all = expectStatus(await admin.get("/v2-beta/projects?limit=1000"), 200).body.data;
    expect(all.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([made.id, env.id]));
  });
});

describe("members given on create", () => {
  test("are the environment's first members; bad ones are refused with 422 and nothing made", async () => {
    const name = uniqueName("team");
    const made = expectStatus(
      await alice.client.post("/v2-beta/projects", {
        name,
        members: [
          { externalId: bob.accountId, externalIdType: "rancher_id", role: "owner" },
          { externalId: "cn=dev,dc=test", externalIdType: "ldap_group", role: "restricted" },
        ],
      }),
      201,
    ).body;
    const members = expectStatus(await admin.get(`/v2-beta/projects/${made.id}/projectmembers`), 200).body
      .data;
    expect(members.map((m: Record<string, string>) => [m.externalIdType, m.externalId, m.role])).toEqual([
      ["rancher_id", bob.accountId, "owner"],
      ["ldap_group", "cn=dev,dc=test", "restricted"],
    ]);
    // Alice left herself out: the environment she made is not hers.
    expect((await alice.client.get(`/v2-beta/projects/${made.id}`)).status).toBe(404);
    const refused = await alice.client.post("/v2-beta/projects", {
      name: uniqueName("bad"),
      members: [{ externalId: bob.accountId, externalIdType: "rancher_id", role: "member" }],
    });
    expect([refused.status, refused.body.message]).toEqual([
      422,
      "members: an environment needs at least one owner",
    ]);
    // An empty list is none given: the creator owns it.
    const empty = expectStatus(
      await alice.client.post("/v2-beta/projects", { name: uniqueName("e"), members: [] }),
      201,
    );
    expect(
      (await alice.client.get(`/v2-beta/projects/${empty.body.id}/projectmembers`)).body.data[0].role,
    ).toBe("owner");
  });
});

describe("a person's own account keys", () => {
  test("are made with the secret shown once, listed, and revoked by their owner only", async () => {
    const made = expectStatus(await alice.client.post("/v2-beta/apikeys", { name: "laptop" }), 201).body;
    expect(made.secretValue).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(made.accountId).toBe(alice.accountId);
    expect((await alice.client.get(`/v2-beta/apikeys/${made.id}`)).body.secretValue).toBeNull();
    const bobs = expectStatus(await bob.client.post("/v2-beta/apikeys", {}), 201).body;
    const mine = expectStatus(await alice.client.get("/v2-beta/apikeys"), 200).body.data;
    expect(mine.every((k: { accountId: string }) => k.accountId === alice.accountId)).toBe(true);
    expect(mine.map((k: { id: string }) => k.id)).toContain(made.id);
    // Bob's key does not exist for alice: reading, deactivating and removing it are 404.
    expect((await alice.client.get(`/v2-beta/apikeys/${bobs.id}`)).status).toBe(404);
    expect((await alice.client.post(`/v2-beta/apikeys/${bobs.id}?action=deactivate`, {})).status).toBe(404);
    expect((await alice.client.del(`/v2-beta/apikeys/${bobs.id}`)).status).toBe(404);
    // Only an admin makes keys for someone else.
    const forBob = await alice.client.post("/v2-beta/apikeys", { accountId: bob.accountId });
    expect(forBob.status).toBe(403);
    // Revoking her own key: it stops working at once.
    const laptop = alice.client.as(
      `Basic ${Buffer.from(`${made.publicValue}:${made.secretValue}`).toString("base64")}`,
    );
    expect((await laptop.get("/v2-beta/projects")).status).toBe(200);
    expectStatus(await alice.client.del(`/v2-beta/apikeys/${made.id}`), 200);
    expect((await laptop.get("/v2-beta/projects")).status).toBe(401);
  });
});
