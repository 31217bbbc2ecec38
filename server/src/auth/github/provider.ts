import { AppError } from "@corral/lib";
import { z } from "zod";
import type { Identity, LoginResult, RedirectProvider } from "../identity.ts";
import { defaultProviderTimeoutMs, isNetworkError, networkFailure, timedFetch } from "../timed-fetch.ts";
import { GithubApi, githubAccountSchema, githubTeamSchema } from "./api.ts";
import { type GithubConfig, type GithubEndpoints, githubEndpoints } from "./config.ts";

/** Knobs beyond the config: tests point a github.com-form config at a stand-in. */
export interface GithubProviderOptions {
  timeoutMs?: number;
  endpoints?: GithubEndpoints;
}

const maxCodeLength = 1024;

/** What GitHub's token endpoint says, as JSON or (without an Accept header) a form. */
const tokenAnswerSchema = z.object({
  access_token: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

function account(
  a: z.infer<typeof githubAccountSchema>,
  type: "github_user" | "github_org",
  web: string,
): Identity {
  const name = type === "github_user" && a.name ? a.name : a.login;
  return {
    externalId: String(a.id),
    externalIdType: type,
    name,
    login: a.login,
    profileUrl: a.html_url ?? `${web}/${a.login}`,
  };
}

function team(t: z.infer<typeof githubTeamSchema>, web: string): Identity {
  const org = t.organization.login;
  return {
    externalId: String(t.id),
    externalIdType: "github_team",
    name: `${org}/${t.name}`,
    login: t.slug,
    profileUrl: t.html_url ?? `${web}/orgs/${org}/teams/${t.slug}`,
  };
}

/**
 * GitHub or GitHub Enterprise OAuth login as Rancher 1.6 did it: the browser goes to
 * `/login/oauth/authorize` asking for `read:org`, the code comes back and is traded at
 * `/login/oauth/access_token`, and the token reads `/user`, `/user/orgs` and `/user/teams`. The
 * token is used for this login only and not kept. The caller checks `state` (GitHub echoes it).
 */
export function createGithubProvider(
  config: GithubConfig,
  options: GithubProviderOptions = {},
): RedirectProvider {
  const { web, api } = options.endpoints ?? githubEndpoints(config);
  const fetcher = timedFetch({
    timeoutMs: options.timeoutMs ?? defaultProviderTimeoutMs,
    ca: config.certificate || undefined,
  });
  const appAuth = `Basic ${btoa(`${config.clientId}:${config.clientSecret}`)}`;

  async function token(code: string, redirectUri: string): Promise<string> {
    let res: Response;
    try {
      res = await fetcher(`${web}/login/oauth/access_token`, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": "Corral",
        },
        body: new URLSearchParams({
          client_id: config.clientId,
          client_secret: config.clientSecret,
          code,
          redirect_uri: redirectUri,
        }),
      });
    } catch (e) {
      if (isNetworkError(e)) throw new AppError("Unavailable", `GitHub ${web} ${networkFailure(e)}`);
      throw e;
    }
    const text = await res.text();
    if (res.status >= 500)
      throw new AppError("Unavailable", `GitHub ${web} failed to exchange the code (${res.status})`);
    let body: unknown;
    try {
      body = (res.headers.get("content-type") ?? "").includes("json")
        ? JSON.parse(text)
        : Object.fromEntries(new URLSearchParams(text));
    } catch {
      body = undefined;
    }
    const answer = tokenAnswerSchema.safeParse(body);
    if (!answer.success)
      throw new AppError(
        "Unavailable",
        `GitHub ${web} gave an unexpected answer to the code exchange (${res.status})`,
      );
    const { access_token, error, error_description } = answer.data;
    if (error || !access_token) {
      const hint = error === "incorrect_client_credentials" ? " (check clientId and clientSecret)" : "";
      const why = error
        ? `${error}${error_description ? `: ${error_description}` : ""}`
        : `no access token (${res.status})`;
      throw new AppError("Unauthorized", `GitHub refused the login code: ${why}${hint}`);
    }
    return access_token;
  }

  return {
    kind: "redirect",

    async authorizeUrl(state, redirectUri) {
      if (!state || state.length > 512)
        throw new AppError("InvalidOption", "the login state must be 1 to 512 characters");
      if (!URL.canParse(redirectUri) || !/^https?:/.test(redirectUri)) {
        throw new AppError("InvalidOption", "the redirect URI must be an http(s) URL");
      }
      const url = new URL(`${web}/login/oauth/authorize`);
      url.searchParams.set("client_id", config.clientId);
      url.searchParams.set("redirect_uri", redirectUri);
      url.searchParams.set("scope", "read:org");
      url.searchParams.set("state", state);
      return url.href;
    },

    async exchange(code, redirectUri): Promise<LoginResult> {
      if (!code || code.length > maxCodeLength)
        throw new AppError("Unauthorized", "the login code is missing or too long");
      const gh = new GithubApi(api, `token ${await token(code, redirectUri)}`, fetcher);
      const [user, orgs, teams] = await Promise.all([
        gh.get("/user", githubAccountSchema),
        gh.list("/user/orgs", githubAccountSchema),
        gh.list("/user/teams", githubTeamSchema),
      ]);
      if (!user) throw new AppError("Unavailable", "GitHub returned no user for the token");
      return {
        user: account(user, "github_user", web),
        groups: [...orgs.map((o) => account(o, "github_org", web)), ...teams.map((t) => team(t, web))],
      };
    },

    async search(query, limit) {
      const q = query.trim();
      if (!q || q.length > 256) return [];
      const n = Math.max(1, Math.min(100, Math.floor(limit) || 1));
      const gh = new GithubApi(api, appAuth, fetcher);
      const kind = (a: z.infer<typeof githubAccountSchema>) =>
        a.type === "Organization" ? "github_org" : "github_user";
      // Some Enterprise servers have search switched off (404): then look the exact login up.
      const found = await gh.get(
        `/search/users?q=${encodeURIComponent(`${q} in:login`)}&per_page=${n}`,
        z.object({ items: z.array(githubAccountSchema) }),
        true,
      );
      if (found) return found.items.slice(0, n).map((a) => account(a, kind(a), web));
      const one = await gh.get(`/users/${encodeURIComponent(q)}`, githubAccountSchema, true);
      return one ? [account(one, kind(one), web)] : [];
    },

    async close() {},
  };
}
