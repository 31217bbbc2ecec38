// External providers through the generic paths, with small fake provider modules: config
// resources (admin only, secrets sealed and never shown), password and redirect logins that find
// or create the account and refresh its groups, access modes, the local admin never locked out, and
// no password, token or provider secret in any log line, audit row, stored row or API answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import {
  type FakeDirectory,
  fakeLdapModule,
  fakeOauthModule,
  ldapPerson,
} from "../../server/testing/fake-providers.ts";
import { adminClient, type Client, createProject, expectStatus, startTestServer } from "./harness.ts";
import { login, postToken, setCookies } from "./login-kit.ts";

const bindSecret = `bind-secret-${crypto.randomUUID()}`;
const clientSecret = `client-secret-${crypto.randomUUID()}`;
const alicePw = `alice-pw-${crypto.randomUUID()}`;
const bobPw = `bob-pw-${crypto.randomUUID()}`;
const carolPw = `carol-pw-${crypto.randomUUID()}`;
/** Every secret of this file: none may show up in logs, rows or answers. */
const secrets = [bindSecret, clientSecret, alicePw, bobPw, carolPw];
const tokens: string[] = [];

const dir: FakeDirectory = {
  down: false,
  people: new Map([
    ["alice", ldapPerson("alice", alicePw, ["devs"])],
    ["bob", ldapPerson("bob", bobPw, ["ops"])],
    ["carol", ldapPerson("carol", carolPw, [])],
  ]),
};

let server: RunningServer;
let admin: Client;
let logText = "";
const answers: string[] = [];
const realWrite = process.stderr.write.bind(process.stderr);
const realFetch = globalThis.fetch;

beforeAll(() => {
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logText += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return (realWrite as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
    const res = await realFetch(...args);
    answers.push(JSON.stringify([...res.headers]) + (await res.clone().text()));
    return res;
  }) as typeof fetch;
  server = startTestServer({
    providerModules: [fakeLdapModule(dir), fakeOauthModule(dir)],
    loginFailureLimits: { perSecond: 1000, burst: 1000 },
  });
  admin = adminClient(server);
});

afterAll(async () => {
  await server.stop();
  process.stderr.write = realWrite;
  globalThis.fetch = realFetch;
});

const ldapConfig = { server: "ldap.test", port: 389, serviceAccountPassword: bindSecret };

async function enableLdap(extra: Record<string, unknown> = {}) {
  return expectStatus(
    await admin.put("/v2-beta/fakeldapconfig", { ...ldapConfig, enabled: true, ...extra }),
    200,
  ).body;
}

describe("provider configs", () => {
  test("are admin-only resources; secrets are sealed when stored and shown empty", async () => {
    const before = expectStatus(await admin.get("/v2-beta/fakeldapconfig"), 200).body;
    expect(before).toMatchObject({
      type: "fakeldapconfig",
      enabled: false,
      accessMode: "unrestricted",
      allowedIdentities: [],
    });
    const local = expectStatus(await admin.get("/v2-beta/localauthconfig"), 200).body;
    expect(local).toMatchObject({ enabled: true, accessMode: "unrestricted" });
    const saved = await enableLdap();
    expect(saved).toMatchObject({ enabled: true, server: "ldap.test", serviceAccountPassword: "" });
    const stored = server.store.getSetting("authConfig.fakeldapconfig")!;
    expect(stored).not.toContain(bindSecret);
    expect(stored).toContain("sb1:");
    // Sent back as shown (secret ""), the stored secret stays.
    expectStatus(await admin.put("/v2-beta/fakeldapconfig", { ...saved, port: 1389 }), 200);
    tokens.push(
      (await login(server.url, { code: `alice:${alicePw}`, authProvider: "fakeldapconfig" })).token,
    );
    expect(dir.lastBindSecret).toBe(bindSecret);
    const user = await login(server.url, { code: `alice:${alicePw}` });
    tokens.push(user.token);
    expectStatus(await user.bearer.get("/v2-beta/fakeldapconfig"), 403);
    expectStatus(await user.bearer.put("/v2-beta/fakeldapconfig", { enabled: false }), 403);
    expectStatus(await admin.as(null).get("/v2-beta/fakeldapconfig"), 401);
  });

  test("bad configs are refused whole", async () => {
    await enableLdap();
    const before = server.store.getSetting("authConfig.fakeldapconfig");
    for (const body of [
      { accessMode: "sometimes" },
      { enabled: "yes" },
      { allowedIdentities: [{ externalId: "x", externalIdType: "martian" }] },
      { allowedIdentities: "alice" },
      { port: "many" },
      { server: "" },
      { unknownField: 1 },
      [],
      null,
      "text",
    ]) {
      const a = await admin.put("/v2-beta/fakeldapconfig", body);
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect(server.store.getSetting("authConfig.fakeldapconfig")).toBe(before);
    }
    const raw = await admin.raw("PUT", "/v2-beta/localauthconfig", {
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expectStatus(raw, 400);
    expectStatus(await admin.put("/v2-beta/localauthconfig", { server: "x" }), 422);
    // Enabling without the required fields is refused.
    expectStatus(await admin.put("/v2-beta/fakeoauthconfig", { enabled: true }), 422);
  });
});

describe("password provider logins", () => {
  test("create the account once, with the provider user and groups, refreshed at each login", async () => {
    await enableLdap({ accessMode: "unrestricted" });
    const first = await login(server.url, { code: `bob:${bobPw}` });
    tokens.push(first.token);
    expect(first.answer.body).toMatchObject({
      userType: "user",
      authProvider: "fakeldapconfig",
      user: "bob",
    });
    expect(first.answer.body.userIdentity).toMatchObject({
      externalIdType: "ldap_user",
      externalId: "uid=bob,ou=people,dc=test",
    });
    const groups = first.answer.body.identities.filter(
      (i: { externalIdType: string }) => i.externalIdType === "ldap_group",
    );
    expect(groups.map((g: { name: string }) => g.name)).toEqual(["ops"]);
    dir.people.set("bob", ldapPerson("bob", bobPw, ["ops", "dba"]));
    const second = await login(server.url, { username: "bob", password: bobPw });
    tokens.push(second.token);
    expect(second.answer.body.accountId).toBe(first.answer.body.accountId);
    const account = expectStatus(
      await admin.get(`/v2-beta/accounts/${first.answer.body.accountId}`),
      200,
    ).body;
    expect(account).toMatchObject({
      externalIdType: "ldap_user",
      externalId: "uid=bob,ou=people,dc=test",
      username: null,
    });
    expect(second.answer.body.identities.length).toBe(first.answer.body.identities.length + 1);
    expectStatus(await postToken(server.url, { code: "bob:wrong-password" }), 401);
  });

  test("restricted admits listed identities and environment members; required only listed ones", async () => {
    await enableLdap({
      accessMode: "restricted",
      allowedIdentities: [{ externalId: "cn=devs,ou=groups,dc=test", externalIdType: "ldap_group" }],
    });
    tokens.push((await login(server.url, { code: `alice:${alicePw}` })).token);
    expectStatus(await postToken(server.url, { code: `carol:${carolPw}` }), 403);
    const project = await createProject(admin);
    server.store.insert("projectMember", {
      projectId: project.id,
      state: "active",
      data: {
        externalId: "uid=carol,ou=people,dc=test",
        externalIdType: "ldap_user",
        role: "member",
        name: "carol",
      },
    });
    tokens.push((await login(server.url, { code: `carol:${carolPw}` })).token);
    await enableLdap({ accessMode: "required" });
    expectStatus(await postToken(server.url, { code: `carol:${carolPw}` }), 403);
    tokens.push((await login(server.url, { code: `alice:${alicePw}` })).token);
  });

  test("no provider setting locks the local admin out, even with the provider down", async () => {
    const pw = server.admin.password!;
    await enableLdap({ accessMode: "required", allowedIdentities: [] });
    expectStatus(
      await admin.put("/v2-beta/localauthconfig", {
        enabled: false,
        accessMode: "required",
        allowedIdentities: [],
      }),
      200,
    );
    dir.down = true;
    try {
      expectStatus(await postToken(server.url, { code: `alice:${alicePw}` }), 503);
      const s = await login(server.url, { code: `admin:${pw}` });
      tokens.push(s.token);
      expect(s.answer.body).toMatchObject({ userType: "admin", authProvider: "localauthconfig" });
      tokens.push((await login(server.url, { code: `admin:${pw}`, authProvider: "localauthconfig" })).token);
      expectStatus(await s.bearer.get("/v2-beta/accounts"), 200);
    } finally {
      dir.down = false;
      expectStatus(
        await admin.put("/v2-beta/localauthconfig", { enabled: true, accessMode: "unrestricted" }),
        200,
      );
    }
  });
});

describe("redirect provider logins", () => {
  test("login redirects with a state bound to a cookie; the callback logs in and lands on /", async () => {
    await enableLdap({ accessMode: "unrestricted" });
    const ldapSession = await login(server.url, { code: `alice:${alicePw}` });
    tokens.push(ldapSession.token);
    expectStatus(await ldapSession.bearer.get("/v2-beta/projects"), 200);
    expectStatus(
      await admin.put("/v2-beta/fakeoauthconfig", { enabled: true, clientId: "corral", clientSecret }),
      200,
    );
    // Enabling one external provider turns the other off.
    expect(expectStatus(await admin.get("/v2-beta/fakeldapconfig"), 200).body.enabled).toBe(false);
    // ... and ends the sessions made through it.
    expectStatus(await ldapSession.bearer.get("/v2-beta/projects"), 401);
    const anon = admin.as(null);
    const state = expectStatus(await anon.get("/v2-beta/token"), 200).body.data[0];
    expect(state.redirectUrl).toBe(`${server.url}/v2-beta/auth/fakeoauthconfig/login`);
    const start = await realFetch(`${server.url}/v2-beta/auth/fakeoauthconfig/login`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get("location")!);
    expect(to.origin).toBe("https://idp.invalid");
    expect(to.searchParams.get("redirect_uri")).toBe(`${server.url}/v2-beta/auth/fakeoauthconfig/callback`);
    const stateValue = to.searchParams.get("state")!;
    const bound = start.headers.getSetCookie().find((c) => c.startsWith("corral_auth_state="))!;
    expect(bound).toMatch(/HttpOnly/);
    const cookie = bound.split(";")[0]!;
    const callback = (q: string, c: string | null) =>
      realFetch(`${server.url}/v2-beta/auth/fakeoauthconfig/callback?${q}`, {
        redirect: "manual",
        headers: c ? { Cookie: c } : {},
      });
    expect((await callback(`code=code-alice&state=${stateValue}`, null)).status).toBe(403);
    expect((await callback(`code=code-alice&state=other`, cookie)).status).toBe(403);
    expect((await callback(`state=${stateValue}`, cookie)).status).toBe(422);
    expect((await callback(`code=bad&state=${stateValue}`, cookie)).status).toBe(401);
    const done = await callback(`code=code-alice&state=${stateValue}`, cookie);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/");
    const token = done.headers
      .getSetCookie()
      .find((c) => c.startsWith("token="))!
      .split(";")[0]!
      .slice(6);
    tokens.push(token);
    const me = expectStatus(await admin.as(`Bearer ${token}`).get("/v2-beta/token"), 200).body.data[0];
    expect(me.userType).toBe("user");
  });

  test("POST /v2-beta/token {code, authProvider} logs in as Rancher's GitHub login did", async () => {
    const a = await postToken(server.url, { code: "code-bob", authProvider: "fakeoauthconfig" });
    expectStatus(a, 201);
    tokens.push(a.body.jwt);
    expect(setCookies(a).get("token")?.value).toBe(a.body.jwt);
    expectStatus(await postToken(server.url, { code: "code-nobody", authProvider: "fakeoauthconfig" }), 401);
    expectStatus(await postToken(server.url, { authProvider: "fakeoauthconfig" }), 422);
    expectStatus(await admin.as(null).get("/v2-beta/auth/fakeldapconfig/login"), 404);
    expectStatus(await admin.as(null).get("/v2-beta/auth/nothing/login"), 404);
  });
});

describe("secrets", () => {
  test("no password, token or provider secret is in the log, a stored row, a setting or an answer", async () => {
    expect(tokens.length).toBeGreaterThan(8);
    // The capture works: the server's own start line is in it.
    expect(logText).toContain("listening");
    const rows = JSON.stringify(server.store.db.query("SELECT * FROM resource").all());
    const settings = JSON.stringify(server.store.db.query("SELECT * FROM setting").all());
    const audit = JSON.stringify(expectStatus(await admin.get("/v2-beta/auditlogs?limit=1000"), 200).body);
    for (const s of [...secrets, server.admin.password!]) {
      expect(logText).not.toContain(s);
      expect(rows).not.toContain(s);
      expect(settings).not.toContain(s);
      expect(audit).not.toContain(s);
      expect(answers.join("\n")).not.toContain(s);
    }
    for (const t of tokens) {
      expect(logText).not.toContain(t);
      expect(rows).not.toContain(t);
      expect(audit).not.toContain(t);
    }
  });
});
