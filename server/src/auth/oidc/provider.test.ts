import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { isAppError } from "@corral/lib";
import { browserLogin } from "../../../testing/browser-login.ts";
import { startTestIssuer, type TestIssuer } from "../../../testing/oidc-issuer.ts";
import type { RedirectProvider } from "../identity.ts";
import { oidcConfigSchema } from "./config.ts";
import { createOidcProvider } from "./provider.ts";

let issuer: TestIssuer;
let provider: RedirectProvider;

beforeAll(async () => {
  issuer = await startTestIssuer({
    alice: {
      name: "Alice Liddell",
      preferred_username: "alice",
      email: "alice@example.test",
      groups: ["devs", "ops"],
    },
    bob: { preferred_username: "bob" },
  });
  const config = oidcConfigSchema.parse({
    issuer: issuer.issuer,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
  });
  provider = createOidcProvider(config);
});

afterAll(async () => {
  await provider.close();
  await issuer.close();
});

async function codeFor(login: string, state: string): Promise<string> {
  const url = await provider.authorizeUrl(state, issuer.redirectUri);
  const back = await browserLogin(url, issuer.redirectUri, login);
  expect(back.error).toBeNull();
  expect(back.state).toBe(state);
  if (!back.code) throw new Error("no code");
  return back.code;
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("OpenID Connect against a real issuer", () => {
  test("the authorize URL asks for a code with PKCE, a nonce and the groups scope", async () => {
    const url = new URL(await provider.authorizeUrl("state-shape", issuer.redirectUri));
    expect(url.origin).toBe(issuer.issuer);
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("nonce")).toBeTruthy();
    expect(url.searchParams.get("scope")).toBe("openid profile email groups");
    expect(url.searchParams.get("client_id")).toBe(issuer.clientId);
  });

  test("a full code flow yields the user and their groups", async () => {
    const code = await codeFor("alice", "state-alice");
    const result = await provider.exchange(code, issuer.redirectUri, "state-alice");
    expect(result.user).toEqual({
      externalId: "alice",
      externalIdType: "oidc_user",
      name: "Alice Liddell",
      login: "alice",
    });
    expect(result.groups).toEqual([
      { externalId: "devs", externalIdType: "oidc_group", name: "devs" },
      { externalId: "ops", externalIdType: "oidc_group", name: "ops" },
    ]);
  });

  test("a user without a name is shown by preferred_username, with no groups", async () => {
    const code = await codeFor("bob", "state-bob");
    const result = await provider.exchange(code, issuer.redirectUri, "state-bob");
    expect(result.user.name).toBe("bob");
    expect(result.groups).toEqual([]);
  });

  test("a state the server never issued is refused", async () => {
    const code = await codeFor("alice", "state-real");
    const r = await refusal(provider.exchange(code, issuer.redirectUri, "state-forged"));
    expect(r.code).toBe("Unauthorized");
    expect(r.message).toContain("login state");
  });

  test("a state is used once: the replayed callback is refused", async () => {
    const code = await codeFor("alice", "state-once");
    await provider.exchange(code, issuer.redirectUri, "state-once");
    const r = await refusal(provider.exchange(code, issuer.redirectUri, "state-once"));
    expect(r.code).toBe("Unauthorized");
  });

  test("a tampered code is refused by the issuer and the state is spent", async () => {
    const code = await codeFor("alice", "state-tamper");
    const r = await refusal(provider.exchange(`${code.slice(0, -2)}xx`, issuer.redirectUri, "state-tamper"));
    expect(r.code).toBe("Unauthorized");
    expect(r.message).toContain("invalid_grant");
    expect((await refusal(provider.exchange(code, issuer.redirectUri, "state-tamper"))).code).toBe(
      "Unauthorized",
    );
  });

  test("a callback URL other than the login's is refused", async () => {
    const code = await codeFor("alice", "state-uri");
    const r = await refusal(provider.exchange(code, "http://127.0.0.1:1/elsewhere", "state-uri"));
    expect(r.code).toBe("Unauthorized");
  });

  test("a wrong client secret fails at the token endpoint as Unauthorized", async () => {
    const bad = createOidcProvider(
      oidcConfigSchema.parse({
        issuer: issuer.issuer,
        clientId: issuer.clientId,
        clientSecret: "wrong-secret",
      }),
    );
    const url = await bad.authorizeUrl("state-secret", issuer.redirectUri);
    const back = await browserLogin(url, issuer.redirectUri, "alice");
    const r = await refusal(bad.exchange(back.code ?? "", issuer.redirectUri, "state-secret"));
    expect(r.code).toBe("Unauthorized");
    expect(r.message).toContain("invalid_client");
    expect(r.message).not.toContain("wrong-secret");
  });

  test("bad arguments to authorizeUrl are refused before any request", async () => {
    expect((await refusal(provider.authorizeUrl("", issuer.redirectUri))).code).toBe("InvalidOption");
    expect((await refusal(provider.authorizeUrl("s", "not a url"))).code).toBe("InvalidOption");
    expect((await refusal(provider.authorizeUrl("s", `${issuer.redirectUri}?x=1`))).code).toBe(
      "InvalidOption",
    );
  });

  test("search finds nothing: OpenID has no directory search", async () => {
    expect(await provider.search("ali", 10)).toEqual([]);
  });
});

describe("OpenID Connect when the issuer is away", () => {
  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  test("an unreachable issuer is Unavailable with a message naming it", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const p = createOidcProvider(oidcConfigSchema.parse({ issuer: url, clientId: "c", clientSecret: "s" }));
    const r = await refusal(p.authorizeUrl("state-away", "http://127.0.0.1:1/cb"));
    expect(r.code).toBe("Unavailable");
    expect(r.message).toContain(url);
    expect(r.message).toContain("unreachable");
  });

  test("an issuer that never answers times out as Unavailable", async () => {
    const hung = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Promise<Response>(() => {}) });
    try {
      const config = oidcConfigSchema.parse({ issuer: hung.url.origin, clientId: "c" });
      const r = await refusal(
        createOidcProvider(config, { timeoutMs: 300 }).authorizeUrl("s", "http://127.0.0.1:1/cb"),
      );
      expect(r.code).toBe("Unavailable");
      expect(r.message).toContain("timed out");
    } finally {
      hung.stop(true);
    }
  });

  test("discovery is tried again once the issuer is back", async () => {
    const port = await closedPort();
    const config = oidcConfigSchema.parse({ issuer: `http://127.0.0.1:${port}`, clientId: "corral-test" });
    const p = createOidcProvider(config);
    expect((await refusal(p.authorizeUrl("s-back", "http://127.0.0.1:1/cb"))).code).toBe("Unavailable");
    const back = await startTestIssuer({}, { port });
    try {
      expect(new URL(await p.authorizeUrl("s-back", back.redirectUri)).origin).toBe(back.issuer);
    } finally {
      await back.close();
    }
  });

  test("a host that is not an issuer fails discovery as Unavailable", async () => {
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("nope", { status: 404 }),
    });
    try {
      const p = createOidcProvider(oidcConfigSchema.parse({ issuer: server.url.origin, clientId: "c" }));
      const r = await refusal(p.authorizeUrl("state-404", "http://127.0.0.1:1/cb"));
      expect(r.code).toBe("Unavailable");
      expect(r.message).toContain("discovery");
    } finally {
      server.stop(true);
    }
  });
});
