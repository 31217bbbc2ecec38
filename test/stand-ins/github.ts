/**
 * A STAND-IN for GitHub (not GitHub): a small HTTP server on a free loopback port that serves the
 * documented endpoints and payload shapes a GitHub OAuth login touches, for tests only.
 *
 * - `GET /login/oauth/authorize` (client_id, redirect_uri, scope, state): the user `signIn` names
 *   approves at once; 302 to the redirect URI with `code` and `state`, or `error=redirect_uri_mismatch`.
 * - `POST /login/oauth/access_token` (form or JSON): answers 200 with JSON when asked
 *   (`Accept: application/json`), else a form; errors in the body with status 200, as GitHub does
 *   (`bad_verification_code`, `incorrect_client_credentials`, `redirect_uri_mismatch`). Codes are
 *   one-time.
 * - REST API (at `/` like api.github.com, or under `/api/v3` like Enterprise, per `enterprise`):
 *   `/user`, `/user/orgs`, `/user/teams` (paginated with `Link`), `/users/:login`, `/search/users`;
 *   `401 {"message":"Bad credentials"}` for a bad token, `403` without a User-Agent.
 */
export interface StandInUser {
  id: number;
  login: string;
  name: string | null;
  orgs: { id: number; login: string }[];
  teams: { id: number; name: string; slug: string; org: string }[];
}

/** A running stand-in. */
export interface GithubStandIn {
  /** Its root URL (web and, for the github.com form, API). */
  url: string;
  /** Host and port, as a `githubconfig` hostname. */
  host: string;
  clientId: string;
  clientSecret: string;
  /** The user whose browser approves the next authorize request. */
  signIn: string;
  /** Largest page the list endpoints serve (GitHub's is 100); tests shrink it to see paging. */
  maxPerPage: number;
  /** When set, every API request answers this status (403 also reports an exhausted rate limit). */
  failApi: number | undefined;
  /** When false, `/search/users` answers 404, as on an Enterprise server with search off. */
  searchEnabled: boolean;
  /** Answer the token endpoint with a form even when JSON is asked for (older Enterprise servers). */
  tokenAsForm: boolean;
  /** Requests seen, as `METHOD path`, for asserting the URL form used. */
  seen: string[];
  stop(): void;
}

const docs = "https://docs.github.com/rest";

/** Starts the stand-in. `enterprise` puts the API under `/api/v3` (and 404s it at `/`). */
export function startGithubStandIn(users: StandInUser[], enterprise = false): GithubStandIn {
  const codes = new Map<string, { login: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  let serial = 0;
  const json = (body: unknown, init: ResponseInit = {}) => Response.json(body, init);
  const byLogin = (login: string) => users.find((u) => u.login.toLowerCase() === login.toLowerCase());

  function page<T>(url: URL, items: T[]): Response {
    const per = Math.min(Number(url.searchParams.get("per_page") ?? 30), stand.maxPerPage);
    const at = Math.max(1, Number(url.searchParams.get("page") ?? 1));
    const headers = new Headers();
    if (at * per < items.length) {
      const next = new URL(url);
      next.searchParams.set("page", String(at + 1));
      headers.set("link", `<${next.href}>; rel="next"`);
    }
    return json(items.slice((at - 1) * per, at * per), { headers });
  }

  function userJson(u: StandInUser) {
    return {
      login: u.login,
      id: u.id,
      node_id: `U_${u.id}`,
      html_url: `${stand.url}/${u.login}`,
      type: "User",
      name: u.name,
    };
  }

  async function token(req: Request): Promise<Response> {
    const type = req.headers.get("content-type") ?? "";
    const raw = await req.text();
    const p = type.includes("json") ? new URLSearchParams(JSON.parse(raw)) : new URLSearchParams(raw);
    const reply = (body: Record<string, string>) =>
      (req.headers.get("accept") ?? "").includes("json") && !stand.tokenAsForm
        ? json(body)
        : new Response(new URLSearchParams(body).toString(), {
            headers: { "content-type": "application/x-www-form-urlencoded" },
          });
    if (p.get("client_id") !== stand.clientId || p.get("client_secret") !== stand.clientSecret) {
      return reply({
        error: "incorrect_client_credentials",
        error_description: "The client_id and/or client_secret passed are incorrect.",
      });
    }
    const grant = codes.get(p.get("code") ?? "");
    codes.delete(p.get("code") ?? "");
    if (!grant) {
      return reply({
        error: "bad_verification_code",
        error_description: "The code passed is incorrect or expired.",
      });
    }
    if (p.get("redirect_uri") && p.get("redirect_uri") !== grant.redirectUri) {
      return reply({
        error: "redirect_uri_mismatch",
        error_description: "The redirect_uri MUST match the registered callback URL for this application.",
      });
    }
    const t = `gho_standin${++serial}`;
    tokens.set(t, grant.login);
    return reply({ access_token: t, token_type: "bearer", scope: "read:org" });
  }

  function api(req: Request, url: URL, path: string): Response {
    if (!req.headers.get("user-agent"))
      return json(
        {
          message:
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        },
        { status: 403 },
      );
    if (stand.failApi === 403) {
      return json(
        { message: "API rate limit exceeded", documentation_url: docs },
        { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1893456000" } },
      );
    }
    if (stand.failApi) return json({ message: "Server Error" }, { status: stand.failApi });
    const auth = req.headers.get("authorization") ?? "";
    const bearer = /^(token|bearer) (.+)$/i.exec(auth)?.[2];
    const me = bearer ? byLogin(tokens.get(bearer) ?? "") : undefined;
    const app = auth === `Basic ${btoa(`${stand.clientId}:${stand.clientSecret}`)}`;
    if (path.startsWith("/user") && !path.startsWith("/users/")) {
      if (!me) return json({ message: "Bad credentials", documentation_url: docs }, { status: 401 });
      if (path === "/user") return json(userJson(me));
      if (path === "/user/orgs")
        return page(
          url,
          me.orgs.map((o) => ({
            login: o.login,
            id: o.id,
            url: `${stand.url}/orgs/${o.login}`,
            description: null,
          })),
        );
      if (path === "/user/teams") {
        return page(
          url,
          me.teams.map((t) => ({
            id: t.id,
            name: t.name,
            slug: t.slug,
            html_url: `${stand.url}/orgs/${t.org}/teams/${t.slug}`,
            organization: { login: t.org, id: 1 },
          })),
        );
      }
    }
    if (bearer && !me && !app)
      return json({ message: "Bad credentials", documentation_url: docs }, { status: 401 });
    if (path.startsWith("/users/")) {
      const login = decodeURIComponent(path.slice("/users/".length));
      const u = byLogin(login);
      if (u) return json(userJson(u));
      const org = users.flatMap((x) => x.orgs).find((o) => o.login === login);
      if (org)
        return json({
          login: org.login,
          id: org.id,
          type: "Organization",
          name: null,
          html_url: `${stand.url}/${org.login}`,
        });
      return json({ message: "Not Found", documentation_url: docs }, { status: 404 });
    }
    if (path === "/search/users" && stand.searchEnabled) {
      const q = (url.searchParams.get("q") ?? "").replace(/\s*in:login\s*/, "").toLowerCase();
      const orgs = users
        .flatMap((x) => x.orgs)
        .map((o) => ({ login: o.login, id: o.id, type: "Organization" }));
      const all = [...users.map((u) => ({ login: u.login, id: u.id, type: "User" })), ...orgs].filter((a) =>
        a.login.toLowerCase().includes(q),
      );
      return json({ total_count: all.length, incomplete_results: false, items: all });
    }
    return json({ message: "Not Found", documentation_url: docs }, { status: 404 });
  }

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      stand.seen.push(`${req.method} ${url.pathname}`);
      if (url.pathname === "/login/oauth/authorize" && req.method === "GET") {
        if (url.searchParams.get("client_id") !== stand.clientId)
          return new Response("Not Found", { status: 404 });
        const redirect = new URL(url.searchParams.get("redirect_uri") ?? "");
        const code = crypto.randomUUID().replaceAll("-", "").slice(0, 20);
        codes.set(code, { login: stand.signIn, redirectUri: redirect.href });
        redirect.searchParams.set("code", code);
        const state = url.searchParams.get("state");
        if (state) redirect.searchParams.set("state", state);
        return new Response(null, { status: 302, headers: { location: redirect.href } });
      }
      if (url.pathname === "/login/oauth/access_token" && req.method === "POST") return token(req);
      const prefix = enterprise ? "/api/v3" : "";
      if (enterprise && !url.pathname.startsWith(`${prefix}/`))
        return json({ message: "Not Found" }, { status: 404 });
      return api(req, url, url.pathname.slice(prefix.length));
    },
  });
  const stand: GithubStandIn = {
    url: server.url.origin,
    host: server.url.host,
    clientId: "Iv1.standin0000000001",
    clientSecret: "standin-secret-0123456789abcdef0123456789",
    signIn: users[0]?.login ?? "",
    maxPerPage: 100,
    failApi: undefined,
    searchEnabled: true,
    tokenAsForm: false,
    seen: [],
    stop: () => void server.stop(true),
  };
  return stand;
}
