// Garbage sent to every login endpoint: the token, logout, provider configs, the redirect round
// trip, account passwords. Each answer is a 4xx error body; nothing but audit rows is written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { fakeLdapModule, fakeOauthModule } from "../../server/testing/fake-providers.ts";
import {
  type Answer,
  adminClient,
  Client,
  expectStatus,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
} from "./harness.ts";
import { login, postToken } from "./login-kit.ts";

let server: RunningServer;
let admin: Client;
let userId: string;
const dir = { down: false, people: new Map() };

beforeAll(async () => {
  server = startTestServer({
    providerModules: [fakeLdapModule(dir), fakeOauthModule(dir)],
    loginFailureLimits: { perSecond: 1000, burst: 1000 },
  });
  admin = adminClient(server);
  userId = expectStatus(
    await admin.post("/v2-beta/accounts", { name: "gu", username: "gu", password: "good-password" }),
    201,
  ).body.id;
});

afterAll(() => server.stop());

function expect4xx(a: Answer, what: string): void {
  if (a.status < 400 || a.status >= 500)
    throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  if (a.body !== null && typeof a.body === "object") expect(a.body.type).toBe("error");
}

const garbageBodies: (string | unknown)[] = [
  "",
  "{",
  "null",
  "[]",
  "42",
  '"admin:pw"',
  {},
  { code: 5 },
  { code: null },
  { code: "" },
  { code: "no-colon" },
  { code: ":only-password" },
  { code: "admin:" },
  { code: "a".repeat(10_000) },
  { username: "admin" },
  { password: "x" },
  { username: 1, password: 2 },
  { username: "a".repeat(300), password: "x" },
  { username: "admin", password: "x".repeat(5000) },
  { code: "admin:x", authProvider: "nosuchconfig" },
  { code: "admin:x", authProvider: 7 },
  { code: "admin:x", authProvider: "fakeldapconfig" },
  { code: "x", authProvider: "fakeoauthconfig" },
  { username: "\u0000\uffff", password: "\ud800" },
];

describe("garbage to login endpoints", () => {
  test("POST /v2-beta/token", async () => {
    const before = await settledFingerprint(server);
    for (const body of garbageBodies)
      expect4xx(await postToken(server.url, body), JSON.stringify(body).slice(0, 80));
    const form = await new Client(server.url, null).raw("POST", "/v2-beta/token", {
      body: "code=admin:x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect4xx(form, "form body");
    expect(rowsFingerprint(server)).toBe(before);
  });

  test("DELETE /v2-beta/token/<id> without a session, with garbage tokens", async () => {
    const anon = new Client(server.url, null);
    for (const auth of [null, "Bearer ", "Bearer x", `Bearer ${"A".repeat(43)}`, "Bearer a b c", "Basic !!"])
      expect4xx(await anon.as(auth).del("/v2-beta/token/current"), `logout ${auth}`);
    const cookie = await anon.raw("DELETE", "/v2-beta/token/current", {
      headers: { Cookie: "token=garbage; CSRF=x" },
    });
    expect4xx(cookie, "logout with a garbage cookie");
    // An API key is not a session: there is nothing to log out.
    expect4xx(await admin.del("/v2-beta/token/current"), "logout with a key");
  });

  test("authentication with garbage tokens and cookies is a 401", async () => {
    const anon = new Client(server.url, null);
    for (const auth of ["Bearer", "Bearer \u00ff", `Bearer ${"x".repeat(500)}`, "bearer abc"])
      expectStatus(await anon.as(auth).get("/v2-beta/accounts"), 401);
    for (const c of ["token=", "token", "token=a=b", `token=${"z".repeat(5000)}`, ";;;="])
      expectStatus(await anon.raw("GET", "/v2-beta/accounts", { headers: { Cookie: c } }), 401);
  });

  test("redirect login and callback", async () => {
    const anon = new Client(server.url, null);
    const before = await settledFingerprint(server);
    for (const p of [
      "/v2-beta/auth/fakeoauthconfig/login",
      "/v2-beta/auth/localauthconfig/login",
      "/v2-beta/auth/%00/login",
      "/v2-beta/auth/fakeoauthconfig/callback",
      "/v2-beta/auth/fakeoauthconfig/callback?code=&state=",
      `/v2-beta/auth/fakeoauthconfig/callback?code=${"c".repeat(5000)}&state=x`,
    ])
      expect4xx(await anon.get(p), p);
    expect(rowsFingerprint(server)).toBe(before);
    expectStatus(
      await admin.put("/v2-beta/fakeoauthconfig", { enabled: true, clientId: "c", clientSecret: "s" }),
      200,
    );
    const after = rowsFingerprint(server);
    for (const [q, c] of [
      ["code=x&state=y", null],
      ["code=x&state=y", "corral_auth_state="],
      ["code=x&state=y", "corral_auth_state=fakeoauthconfig.z"],
      ["code=x&state=", "corral_auth_state=fakeoauthconfig."],
      ["code=x&state=y&state=z", "corral_auth_state=fakeoauthconfig.y"],
    ] as const)
      expect4xx(
        await anon.raw("GET", `/v2-beta/auth/fakeoauthconfig/callback?${q}`, {
          headers: c ? { Cookie: c } : {},
        }),
        `callback ${q} ${c}`,
      );
    expect(rowsFingerprint(server)).toBe(after);
  });

  test("changesecret and account logins", async () => {
    const before = await settledFingerprint(server);
    const path = `/v2-beta/accounts/${userId}?action=changesecret`;
    for (const body of [
      {},
      { newSecret: 5 },
      { newSecret: "" },
      { newSecret: "short" },
      { newSecret: "x".repeat(300) },
      { newSecret: "long-enough", extra: 1 },
      { newSecret: null },
      [],
    ])
      expect4xx(await admin.post(path, body), `changesecret ${JSON.stringify(body)}`);
    expect4xx(
      await admin.post("/v2-beta/accounts/1a999999?action=changesecret", { newSecret: "long-enough" }),
      "no account",
    );
    for (const body of [
      { name: "n1", username: "bad name" },
      { name: "n2", username: "" },
      { name: "n3", username: "-x" },
      { name: "n4", username: "u".repeat(65) },
      { name: "n5", username: "ok5", password: "short" },
      { name: "n6", username: "ok6", password: 12345678 },
      { name: "n7", password: "long-enough" },
      { name: "n8", username: "GU", password: "long-enough" },
    ])
      expect4xx(await admin.post("/v2-beta/accounts", body), `create ${JSON.stringify(body)}`);
    expect(rowsFingerprint(server)).toBe(before);
    // The user still logs in with the password they had.
    await login(server.url, { code: "gu:good-password" });
  });
});
