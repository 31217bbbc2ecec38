// Logins through the server's own routes against real providers: a real slapd (openldapconfig)
// with POST /v2-beta/token, and a real OpenID provider (oidc-provider) with the browser round trip
// /v2-beta/auth/oidcconfig/login -> issuer -> /callback. No Docker: both listen on loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { browserLogin } from "../../server/testing/browser-login.ts";
import { startTestIssuer, type TestIssuer } from "../../server/testing/oidc-issuer.ts";
import { startSlapd, type TestSlapd } from "../../server/testing/slapd.ts";
import { seedServiceAccount, seedSuffix, seedUsers } from "../../server/testing/slapd-seed.ts";
import { type GithubStandIn, startGithubStandIn } from "../stand-ins/github.ts";
import {
  Client as ApiClient,
  adminClient,
  type Client,
  createProject,
  expectStatus,
  startTestServer,
} from "./harness.ts";
import { login, postToken, setCookies } from "./login-kit.ts";

const adminPassword = `admin-pw-${crypto.randomUUID()}`;
let slapd: TestSlapd;
let issuer: TestIssuer;
let github: GithubStandIn;
let server: RunningServer;
let admin: Client;

beforeAll(async () => {
  slapd = await startSlapd();
  server = startTestServer({ env: { CORRAL_ADMIN_PASSWORD: adminPassword } });
  admin = adminClient(server);
  issuer = await startTestIssuer(
    { erin: { name: "Erin Example", preferred_username: "erin", groups: ["platform"] } },
    { redirectUri: `${server.url}/v2-beta/auth/oidcconfig/callback` },
  );
  github = startGithubStandIn(
    [
      {
        id: 4242,
        login: "gina",
        name: "Gina Hub",
        orgs: [{ id: 77, login: "acme" }],
        teams: [{ id: 88, name: "Ops", slug: "ops", org: "acme" }],
      },
    ],
    true,
  );
  github.signIn = "gina";
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await issuer?.close();
  github?.stop();
  await slapd?.stop();
});

describe("LDAP through POST /v2-beta/token", () => {
  test("an admin enables openldapconfig; a directory user logs in with their groups", async () => {
    const saved = expectStatus(
      await admin.put("/v2-beta/openldapconfig", {
        enabled: true,
        accessMode: "unrestricted",
        server: "127.0.0.1",
        port: slapd.port,
        serviceAccountUsername: seedServiceAccount.dn,
        serviceAccountPassword: seedServiceAccount.password,
        domain: `ou=people,${seedSuffix}`,
        groupSearchDomain: `ou=groups,${seedSuffix}`,
      }),
      200,
    ).body;
    expect(saved.serviceAccountPassword).toBe("");
    const alice = await login(server.url, {
      username: seedUsers.alice.login,
      password: seedUsers.alice.password,
      authProvider: "openldapconfig",
    });
    expect(alice.answer.body.userIdentity).toMatchObject({
      externalId: seedUsers.alice.dn,
      externalIdType: "ldap_user",
    });
    const types = (alice.answer.body.identities as { externalIdType: string }[]).map((i) => i.externalIdType);
    expect(types).toContain("ldap_group");
    // A person with no membership sees no environment, but is logged in.
    expect(expectStatus(await alice.bearer.get("/v2-beta/projects"), 200).body.data).toEqual([]);
    // Without authProvider, a name that is not a local account goes to the enabled provider.
    await login(server.url, { code: `${seedUsers.bob.login}:${seedUsers.bob.password}` });
    // Made a member through her directory group, she sees that environment, with that role.
    const env = await createProject(admin);
    const devs = `cn=devs,ou=groups,${seedSuffix}`;
    expectStatus(
      await admin.post(`/v2-beta/projects/${env.id}?action=setmembers`, {
        members: [
          { externalId: server.admin.adminAccountId, externalIdType: "rancher_id", role: "owner" },
          { externalId: devs, externalIdType: "ldap_group", role: "readonly" },
        ],
      }),
      200,
    );
    const again = await login(server.url, { code: `${seedUsers.alice.login}:${seedUsers.alice.password}` });
    const seen = expectStatus(await again.bearer.get("/v2-beta/projects"), 200).body.data;
    expect(seen.map((p: { id: string }) => p.id)).toEqual([env.id]);
    expectStatus(
      await again.bearer.post(`/v2-beta/projects/${env.id}/containers`, {
        name: "x",
        imageUuid: "docker:busybox",
      }),
      403,
    );
    // Her own identities, and a search for members: the directory's people and groups, and local accounts.
    const own = expectStatus(await alice.bearer.get("/v2-beta/identities"), 200).body.data;
    expect(own.map((i: { id: string }) => i.id)).toContain(`ldap_user:${seedUsers.alice.dn}`);
    const found = expectStatus(await admin.get("/v2-beta/identities?name=al"), 200).body.data;
    expect(found.map((i: { id: string }) => i.id)).toContain(`ldap_user:${seedUsers.alice.dn}`);
    const local = expectStatus(await admin.get("/v2-beta/identities?name=adm"), 200).body.data;
    expect(local[0]).toMatchObject({ externalIdType: "rancher_id", login: "admin" });
    expectStatus(await admin.get(`/v2-beta/identities?name=${"x".repeat(200)}`), 422);
    expectStatus(await admin.get("/v2-beta/identities?name="), 422);
  });

  test("a wrong password is 401; the directory down is 503 and the local admin still logs in", async () => {
    const wrong = await postToken(server.url, {
      username: seedUsers.alice.login,
      password: "not-her-password",
      authProvider: "openldapconfig",
    });
    expect(wrong.status).toBe(401);
    await slapd.stop();
    const down = await postToken(server.url, {
      username: seedUsers.alice.login,
      password: seedUsers.alice.password,
      authProvider: "openldapconfig",
    });
    expect(down.status).toBe(503);
    expect(JSON.stringify(down.body)).toContain("127.0.0.1");
    const adminLogin = await login(server.url, { username: "admin", password: adminPassword });
    expectStatus(await adminLogin.bearer.get("/v2-beta/projects"), 200);
    slapd = await startSlapd();
  }, 60_000);
});

describe("OpenID Connect through the browser round trip", () => {
  test("login -> issuer -> callback sets a session cookie that works", async () => {
    expectStatus(
      await admin.put("/v2-beta/oidcconfig", {
        enabled: true,
        accessMode: "unrestricted",
        issuer: issuer.issuer,
        clientId: issuer.clientId,
        clientSecret: issuer.clientSecret,
      }),
      200,
    );
    const anon = new ApiClient(server.url, null);
    const start = await anon.raw("GET", "/v2-beta/auth/oidcconfig/login", { redirect: "manual" });
    expect(start.status, JSON.stringify(start.body)).toBe(302);
    const stateCookie = setCookies(start).get("corral_auth_state")!;
    expect(stateCookie.raw).toContain("HttpOnly");
    const back = await browserLogin(
      start.headers.get("location")!,
      `${server.url}/v2-beta/auth/oidcconfig/callback`,
      "erin",
    );
    expect(back.error).toBeNull();
    const callback = await anon.raw("GET", `/v2-beta/auth/oidcconfig/callback${back.url.search}`, {
      headers: { Cookie: `corral_auth_state=${stateCookie.value}` },
      redirect: "manual",
    });
    expect(callback.status).toBe(302);
    const token = setCookies(callback).get("token")!.value;
    const me = new ApiClient(server.url, `Bearer ${token}`);
    expectStatus(await me.get("/v2-beta/projects"), 200);
    const account = expectStatus(await admin.get("/v2-beta/accounts?name=Erin Example"), 200).body.data;
    expect(account).toHaveLength(1);
    // The same callback without the browser's state cookie is refused.
    const replay = await anon.raw("GET", `/v2-beta/auth/oidcconfig/callback${back.url.search}`, {
      redirect: "manual",
    });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
  }, 60_000);
});

describe("GitHub (Enterprise form) through the browser round trip, against a stand-in", () => {
  test("login -> GitHub -> callback; an org made a member gives its people that environment", async () => {
    expectStatus(
      await admin.put("/v2-beta/githubconfig", {
        enabled: true,
        accessMode: "unrestricted",
        hostname: github.host,
        scheme: "http://",
        clientId: github.clientId,
        clientSecret: github.clientSecret,
      }),
      200,
    );
    const env = await createProject(admin);
    expectStatus(
      await admin.post(`/v2-beta/projects/${env.id}?action=setmembers`, {
        members: [
          { externalId: server.admin.adminAccountId, externalIdType: "rancher_id", role: "owner" },
          { externalId: "77", externalIdType: "github_org", role: "member" },
        ],
      }),
      200,
    );
    const anon = new ApiClient(server.url, null);
    const start = await anon.raw("GET", "/v2-beta/auth/githubconfig/login", { redirect: "manual" });
    expect(start.status, JSON.stringify(start.body)).toBe(302);
    const state = setCookies(start).get("corral_auth_state")!.value;
    // The stand-in approves at once and sends the browser back with a code.
    const approved = await fetch(start.headers.get("location")!, { redirect: "manual" });
    const back = new URL(approved.headers.get("location")!);
    expect(back.pathname).toBe("/v2-beta/auth/githubconfig/callback");
    const callback = await anon.raw("GET", `${back.pathname}${back.search}`, {
      headers: { Cookie: `corral_auth_state=${state}` },
      redirect: "manual",
    });
    expect(callback.status, JSON.stringify(callback.body)).toBe(302);
    const me = new ApiClient(server.url, `Bearer ${setCookies(callback).get("token")!.value}`);
    const seen = expectStatus(await me.get("/v2-beta/projects"), 200).body.data;
    expect(seen.map((p: { id: string }) => p.id)).toEqual([env.id]);
    const own = expectStatus(await me.get("/v2-beta/identities"), 200).body.data;
    expect(own.map((i: { id: string }) => i.id)).toEqual(
      expect.arrayContaining(["github_user:4242", "github_org:77", "github_team:88"]),
    );
    expect(github.seen.some((r) => r.includes("/api/v3/user"))).toBe(true);
  }, 60_000);
});
