// Local logins over HTTP: the token answer and cookies, Bearer and cookie authentication with the
// CSRF guard, logout, password changes and resets, deactivation and removal ending every session
// at once, failed logins limited and audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { adminClient, type Client, expectStatus, startTestServer, uniqueName } from "./harness.ts";
import { login, postToken, setCookies } from "./login-kit.ts";

let server: RunningServer;
let admin: Client;
let adminPassword: string;

beforeAll(() => {
  // Many wrong passwords from one address: the limit is checked by its own server below.
  server = startTestServer({ loginFailureLimits: { perSecond: 1000, burst: 1000 } });
  admin = adminClient(server);
  adminPassword = server.admin.password!;
});

afterAll(() => server.stop());

/** Creates a user account with a local login; returns its id, username and password. */
async function newUser(kind = "user") {
  const username = uniqueName("u");
  const password = `pw-${crypto.randomUUID()}`;
  const body = expectStatus(
    await admin.post("/v2-beta/accounts", { name: username, kind, username, password }),
    201,
  ).body;
  expect(JSON.stringify(body)).not.toContain(password);
  expect(body.username).toBe(username);
  return { id: body.id as string, username, password };
}

describe("login", () => {
  test("the first admin has a generated password and logs in with Rancher's code", async () => {
    expect(server.admin.username).toBe("admin");
    expect(adminPassword.length).toBeGreaterThanOrEqual(16);
    const s = await login(server.url, { code: `admin:${adminPassword}` });
    const b = s.answer.body;
    expect(b).toMatchObject({
      type: "token",
      userType: "admin",
      accountId: server.admin.adminAccountId,
      authProvider: "localauthconfig",
      user: "admin",
      security: true,
    });
    expect(b.userIdentity).toMatchObject({
      externalIdType: "rancher_id",
      externalId: server.admin.adminAccountId,
    });
    expect(Date.parse(b.expires) - Date.now()).toBeGreaterThan(15.9 * 3600_000);
    expect(b.jwt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookies = setCookies(s.answer);
    expect(cookies.get("token")!.raw).toMatch(/HttpOnly/);
    expect(cookies.get("token")!.raw).toMatch(/SameSite=Strict/);
    expect(cookies.get("token")!.raw).toMatch(/Path=\//);
    expect(cookies.get("token")!.raw).not.toMatch(/Secure/); // plain HTTP here
    expect(cookies.get("CSRF")!.raw).not.toMatch(/HttpOnly/);
    expectStatus(await s.bearer.get("/v2-beta/accounts"), 200);
    expectStatus(await s.cookie.get("/v2-beta/accounts"), 200);
  });

  test("{username, password} works too; wrong or unknown credentials get the same 401", async () => {
    await login(server.url, { username: "admin", password: adminPassword });
    await login(server.url, { username: "ADMIN", password: adminPassword, authProvider: "localAuthConfig" });
    const wrong = await postToken(server.url, { username: "admin", password: "nope-nope" });
    const unknown = await postToken(server.url, { username: "nobody-here", password: "nope-nope" });
    expectStatus(wrong, 401);
    expectStatus(unknown, 401);
    expect(wrong.body.message).toBe(unknown.body.message);
  });

  test("API keys keep working beside sessions", async () => {
    expectStatus(await admin.get("/v2-beta/accounts"), 200);
  });

  test("a cookie-authenticated change needs X-API-CSRF matching the CSRF cookie; Bearer needs none", async () => {
    const s = await login(server.url, { code: `admin:${adminPassword}` });
    const refused = await s.cookie.post("/v2-beta/accounts", { name: uniqueName("x") });
    expectStatus(refused, 403);
    expect(refused.body.message).toContain("X-API-CSRF");
    const wrongCsrf = await s.cookie.raw("POST", "/v2-beta/accounts", {
      body: JSON.stringify({ name: uniqueName("x") }),
      headers: { "Content-Type": "application/json", "X-API-CSRF": "A".repeat(32) },
    });
    expectStatus(wrongCsrf, 403);
    expectStatus(await s.cookieCsrf.post("/v2-beta/accounts", { name: uniqueName("x") }), 201);
    expectStatus(await s.bearer.post("/v2-beta/accounts", { name: uniqueName("x") }), 201);
  });

  test("GET /v2-beta/token tells the provider, and the caller when credentials come", async () => {
    const anon = expectStatus(await admin.as(null).get("/v2-beta/token"), 200).body;
    expect(anon.data[0]).toMatchObject({ type: "token", authProvider: "localauthconfig", accountId: null });
    const s = await login(server.url, { code: `admin:${adminPassword}` });
    const mine = expectStatus(await s.bearer.get("/v2-beta/token"), 200).body;
    expect(mine.data[0].accountId).toBe(server.admin.adminAccountId);
  });
});

describe("sessions end", () => {
  test("logout ends the session at once and drops the cookies", async () => {
    const s = await login(server.url, { code: `admin:${adminPassword}` });
    expectStatus(await s.bearer.get("/v2-beta/accounts"), 200);
    const out = expectStatus(await s.cookieCsrf.del("/v2-beta/token/current"), 204);
    const cleared = setCookies(out);
    expect(cleared.get("token")!.raw).toMatch(/Max-Age=0/);
    expectStatus(await s.bearer.get("/v2-beta/accounts"), 401);
    expectStatus(await s.cookie.get("/v2-beta/accounts"), 401);
    expectStatus(await s.bearer.del("/v2-beta/token/current"), 401);
  });

  test("logout with the cookie needs the CSRF header", async () => {
    const s = await login(server.url, { code: `admin:${adminPassword}` });
    expectStatus(await s.cookie.del("/v2-beta/token/current"), 403);
    expectStatus(await s.bearer.get("/v2-beta/accounts"), 200);
  });

  test("a user changes their own password with the current one; every session ends", async () => {
    const u = await newUser();
    const a = await login(server.url, { code: `${u.username}:${u.password}` });
    const b = await login(server.url, { username: u.username, password: u.password });
    expect(a.answer.body.userType).toBe("user");
    expectStatus(await a.bearer.get(`/v2-beta/accounts/${u.id}`), 200);
    const path = `/v2-beta/accounts/${u.id}?action=changesecret`;
    expectStatus(await a.bearer.post(path, { newSecret: "another-password-1" }), 422);
    expectStatus(
      await a.bearer.post(path, { oldSecret: "wrong-wrong", newSecret: "another-password-1" }),
      403,
    );
    expectStatus(await a.bearer.post(path, { oldSecret: u.password, newSecret: "short" }), 422);
    expectStatus(await a.bearer.post(path, { oldSecret: u.password, newSecret: "another-password-1" }), 200);
    expectStatus(await a.bearer.get(`/v2-beta/accounts/${u.id}`), 401);
    expectStatus(await b.bearer.get(`/v2-beta/accounts/${u.id}`), 401);
    expectStatus(await postToken(server.url, { code: `${u.username}:${u.password}` }), 401);
    await login(server.url, { code: `${u.username}:another-password-1` });
  });

  test("a user cannot change another's password; an admin resets anyone's without the old one", async () => {
    const u = await newUser();
    const v = await newUser();
    const su = await login(server.url, { code: `${u.username}:${u.password}` });
    const sv = await login(server.url, { code: `${v.username}:${v.password}` });
    expectStatus(
      await su.bearer.post(`/v2-beta/accounts/${v.id}?action=changesecret`, { newSecret: "hijacked-pw" }),
      404,
    );
    expectStatus(
      await admin.post(`/v2-beta/accounts/${v.id}?action=changesecret`, { newSecret: "reset-by-admin" }),
      200,
    );
    expectStatus(await sv.bearer.get(`/v2-beta/accounts/${v.id}`), 401);
    await login(server.url, { code: `${v.username}:reset-by-admin` });
  });

  test("deactivating or removing an account ends its sessions at once and refuses its logins", async () => {
    const u = await newUser();
    const s = await login(server.url, { code: `${u.username}:${u.password}` });
    expectStatus(await s.bearer.get(`/v2-beta/accounts/${u.id}`), 200);
    expectStatus(await admin.post(`/v2-beta/accounts/${u.id}?action=deactivate`, {}), 200);
    expectStatus(await s.bearer.get(`/v2-beta/accounts/${u.id}`), 401);
    expectStatus(await postToken(server.url, { code: `${u.username}:${u.password}` }), 401);
    expectStatus(await admin.post(`/v2-beta/accounts/${u.id}?action=activate`, {}), 200);
    const again = await login(server.url, { code: `${u.username}:${u.password}` });
    expectStatus(await admin.del(`/v2-beta/accounts/${u.id}`), 200);
    expectStatus(await again.bearer.get(`/v2-beta/accounts/${u.id}`), 401);
    expectStatus(await postToken(server.url, { code: `${u.username}:${u.password}` }), 401);
  });

  test("usernames are unique in any case; a removed account's name is free again", async () => {
    const u = await newUser();
    expectStatus(
      await admin.post("/v2-beta/accounts", {
        name: uniqueName("n"),
        username: u.username.toUpperCase(),
        password: "some-password",
      }),
      409,
    );
    expectStatus(
      await admin.post("/v2-beta/accounts", { name: uniqueName("n"), password: "some-password" }),
      422,
    );
    expectStatus(await admin.del(`/v2-beta/accounts/${u.id}`), 200);
    expectStatus(
      await admin.post("/v2-beta/accounts", {
        name: uniqueName("n"),
        username: u.username,
        password: "some-password",
      }),
      201,
    );
  });
});

describe("failed logins", () => {
  test("are limited per account name and per address: 429 with Retry-After, even for the right password", async () => {
    const limited = startTestServer({ loginFailureLimits: { perSecond: 0.001, burst: 3 } });
    try {
      const pw = limited.admin.password!;
      for (let i = 0; i < 3; i++)
        expectStatus(await postToken(limited.url, { code: `admin:wrong-${i}` }), 401);
      const held = expectStatus(await postToken(limited.url, { code: `admin:${pw}` }), 429);
      expect(Number(held.headers.get("retry-after"))).toBeGreaterThan(0);
      // API keys are limited on their own: the admin's key still works from this address.
      expectStatus(await adminClient(limited).get("/v2-beta/accounts"), 200);
    } finally {
      await limited.stop();
    }
  });

  test("are audited with address, username and outcome, never the password", async () => {
    const secret = `not-the-password-${crypto.randomUUID()}`;
    expectStatus(await postToken(server.url, { code: `admin:${secret}` }), 401);
    await login(server.url, { code: `admin:${adminPassword}` });
    const rows = server.store.db
      .query<{ data: string }, []>(
        "SELECT data FROM resource WHERE type = 'auditLog' AND data LIKE '%auth.login%'",
      )
      .all()
      .map((r) => JSON.parse(r.data));
    const failure = rows.find((r) => r.responseCode === 401 && r.requestObject.username === "admin");
    const success = rows.find((r) => r.responseCode === 201 && r.requestObject.username === "admin");
    expect(failure).toMatchObject({ clientIp: "127.0.0.1", eventType: "auth.login" });
    expect(failure.description).toStartWith("failure");
    expect(success).toMatchObject({
      authenticatedAsAccountId: server.admin.adminAccountId,
      description: "success",
    });
    const all = JSON.stringify(server.store.db.query("SELECT * FROM resource").all());
    expect(all).not.toContain(secret);
    expect(all).not.toContain(adminPassword);
  });
});
