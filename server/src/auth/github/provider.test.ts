import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isAppError } from "@corral/lib";
import {
  type GithubStandIn,
  type StandInUser,
  startGithubStandIn,
} from "../../../../test/stand-ins/github.ts";
import type { RedirectProvider } from "../identity.ts";
import { githubConfigSchema } from "./config.ts";
import { createGithubProvider } from "./provider.ts";

const users: StandInUser[] = [
  {
    id: 583231,
    login: "octocat",
    name: "The Octocat",
    orgs: [
      { id: 9919, login: "github" },
      { id: 1001, login: "corral-dev" },
      { id: 1002, login: "corral-ops" },
    ],
    teams: [{ id: 42, name: "Platform", slug: "platform", org: "corral-dev" }],
  },
  { id: 7, login: "loner", name: null, orgs: [], teams: [] },
];
const redirectUri = "http://127.0.0.1:8080/v2-beta/auth/githubconfig/callback";

let dotcom: GithubStandIn;
let enterprise: GithubStandIn;

beforeAll(() => {
  dotcom = startGithubStandIn(users);
  enterprise = startGithubStandIn(users, true);
});
afterAll(() => {
  dotcom.stop();
  enterprise.stop();
});

/** A provider in the github.com form (two hosts), pointed at the stand-in's one host. */
function dotcomProvider(secret = dotcom.clientSecret): RedirectProvider {
  const config = githubConfigSchema.parse({ clientId: dotcom.clientId, clientSecret: secret });
  return createGithubProvider(config, { endpoints: { web: dotcom.url, api: dotcom.url } });
}

function enterpriseProvider(): RedirectProvider {
  const config = githubConfigSchema.parse({
    clientId: enterprise.clientId,
    clientSecret: enterprise.clientSecret,
    hostname: enterprise.host,
    scheme: "http://",
  });
  return createGithubProvider(config);
}

/** Follows the authorize URL as a browser would, up to the callback; returns its code. */
async function codeFrom(provider: RedirectProvider, state: string): Promise<string> {
  const res = await fetch(await provider.authorizeUrl(state, redirectUri), { redirect: "manual" });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get("location") ?? "");
  expect(back.origin + back.pathname).toBe(redirectUri);
  expect(back.searchParams.get("state")).toBe(state);
  return back.searchParams.get("code") ?? "";
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

describe("GitHub login against the stand-in", () => {
  test("github.com's URL form: authorize at github.com asking for read:org", async () => {
    const p = createGithubProvider(githubConfigSchema.parse({ clientId: "abc", clientSecret: "s" }));
    const url = new URL(await p.authorizeUrl("st", redirectUri));
    expect(url.origin + url.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "abc",
      redirect_uri: redirectUri,
      scope: "read:org",
      state: "st",
    });
  });

  test("bad arguments to authorizeUrl are refused", async () => {
    const p = dotcomProvider();
    expect((await refusal(p.authorizeUrl("", redirectUri))).code).toBe("InvalidOption");
    expect((await refusal(p.authorizeUrl("x".repeat(513), redirectUri))).code).toBe("InvalidOption");
    expect((await refusal(p.authorizeUrl("s", "javascript:alert(1)"))).code).toBe("InvalidOption");
  });

  test("a login yields the user, their orgs and teams", async () => {
    dotcom.signIn = "octocat";
    const p = dotcomProvider();
    const result = await p.exchange(await codeFrom(p, "s1"), redirectUri, "s1");
    expect(result.user).toEqual({
      externalId: "583231",
      externalIdType: "github_user",
      name: "The Octocat",
      login: "octocat",
      profileUrl: `${dotcom.url}/octocat`,
    });
    expect(result.groups.map((g) => `${g.externalIdType}:${g.externalId}:${g.name}`)).toEqual([
      "github_org:9919:github",
      "github_org:1001:corral-dev",
      "github_org:1002:corral-ops",
      "github_team:42:corral-dev/Platform",
    ]);
  });

  test("lists are read across pages", async () => {
    dotcom.maxPerPage = 2;
    try {
      const p = dotcomProvider();
      const result = await p.exchange(await codeFrom(p, "s2"), redirectUri, "s2");
      expect(result.groups.filter((g) => g.externalIdType === "github_org")).toHaveLength(3);
      expect(dotcom.seen.filter((s) => s === "GET /user/orgs").length).toBeGreaterThanOrEqual(2);
    } finally {
      dotcom.maxPerPage = 100;
    }
  });

  test("a token answer in form encoding is read too", async () => {
    dotcom.tokenAsForm = true;
    try {
      const p = dotcomProvider();
      expect((await p.exchange(await codeFrom(p, "sf"), redirectUri, "sf")).user.login).toBe("octocat");
      expect((await refusal(p.exchange("made-up", redirectUri, "sf"))).message).toContain(
        "bad_verification_code",
      );
    } finally {
      dotcom.tokenAsForm = false;
    }
  });

  test("a user without a name or orgs is shown by login", async () => {
    dotcom.signIn = "loner";
    try {
      const p = dotcomProvider();
      const result = await p.exchange(await codeFrom(p, "s3"), redirectUri, "s3");
      expect(result.user.name).toBe("loner");
      expect(result.groups).toEqual([]);
    } finally {
      dotcom.signIn = "octocat";
    }
  });

  test("a bad or reused code is Unauthorized (bad_verification_code)", async () => {
    const p = dotcomProvider();
    const code = await codeFrom(p, "s4");
    await p.exchange(code, redirectUri, "s4");
    const reused = await refusal(p.exchange(code, redirectUri, "s4"));
    expect(reused).toEqual({
      code: "Unauthorized",
      message: expect.stringContaining("bad_verification_code"),
    });
    expect((await refusal(p.exchange("made-up", redirectUri, "s4"))).code).toBe("Unauthorized");
    expect((await refusal(p.exchange("", redirectUri, "s4"))).code).toBe("Unauthorized");
  });

  test("a wrong client secret is Unauthorized with a hint for the admin", async () => {
    const p = dotcomProvider("wrong");
    const r = await refusal(p.exchange(await codeFrom(p, "s5"), redirectUri, "s5"));
    expect(r.code).toBe("Unauthorized");
    expect(r.message).toContain("check clientId and clientSecret");
    expect(r.message).not.toContain("wrong");
  });

  test("API errors: server error and rate limit are Unavailable, with GitHub's message", async () => {
    const p = dotcomProvider();
    for (const [status, text] of [
      [502, "answered 502"],
      [403, "rate limit"],
    ] as const) {
      const code = await codeFrom(p, "s6");
      dotcom.failApi = status;
      try {
        const r = await refusal(p.exchange(code, redirectUri, "s6"));
        expect(r.code).toBe("Unavailable");
        expect(r.message).toContain(text);
      } finally {
        dotcom.failApi = undefined;
      }
    }
  });

  test("an unreachable GitHub is Unavailable", async () => {
    const gone = startGithubStandIn(users);
    gone.stop();
    const config = githubConfigSchema.parse({ clientId: "c", clientSecret: "s" });
    const p = createGithubProvider(config, { endpoints: { web: gone.url, api: gone.url } });
    const r = await refusal(p.exchange("code", redirectUri, "s"));
    expect(r.code).toBe("Unavailable");
    expect(r.message).toContain("unreachable");
  });

  test("a GitHub that never answers times out as Unavailable", async () => {
    const hung = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Promise<Response>(() => {}) });
    try {
      const config = githubConfigSchema.parse({ clientId: "c", clientSecret: "s" });
      const endpoints = { web: hung.url.origin, api: hung.url.origin };
      const r = await refusal(
        createGithubProvider(config, { endpoints, timeoutMs: 300 }).exchange("code", redirectUri, "s"),
      );
      expect(r.code).toBe("Unavailable");
      expect(r.message).toContain("timed out");
    } finally {
      hung.stop(true);
    }
  });

  test("Enterprise: one host, API under /api/v3", async () => {
    const p = enterpriseProvider();
    const url = await p.authorizeUrl("e1", redirectUri);
    expect(url.startsWith(`http://${enterprise.host}/login/oauth/authorize?`)).toBe(true);
    const result = await p.exchange(await codeFrom(p, "e1"), redirectUri, "e1");
    expect(result.user.login).toBe("octocat");
    expect(result.groups).toHaveLength(4);
    expect(enterprise.seen).toContain("GET /api/v3/user");
    expect(enterprise.seen).toContain("GET /api/v3/user/teams");
    expect(enterprise.seen).not.toContain("GET /user");
  });

  test("search finds users and orgs by login, with the app's credentials", async () => {
    const p = dotcomProvider();
    const found = await p.search("corral", 10);
    expect(found.map((f) => `${f.externalIdType}:${f.login}`)).toEqual([
      "github_org:corral-dev",
      "github_org:corral-ops",
    ]);
    expect((await p.search("octo", 1)).map((f) => f.externalId)).toEqual(["583231"]);
    expect(await p.search("  ", 5)).toEqual([]);
  });

  test("search without GitHub search (some Enterprise servers) looks the exact login up", async () => {
    enterprise.searchEnabled = false;
    try {
      const p = enterpriseProvider();
      expect((await p.search("octocat", 5)).map((f) => `${f.externalIdType}:${f.name}`)).toEqual([
        "github_user:The Octocat",
      ]);
      expect(await p.search("nobody", 5)).toEqual([]);
    } finally {
      enterprise.searchEnabled = true;
    }
  });
});
