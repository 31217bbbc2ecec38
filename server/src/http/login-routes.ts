import { randomBytes, timingSafeEqual } from "node:crypto";
import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { Hono } from "hono";
import { localConfigName } from "../auth/auth-configs.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Identity } from "../auth/identity.ts";
import type { LoginAnswer, LoginService } from "../auth/login.ts";
import { authenticateRequest, sessionCredential } from "../auth/request-auth.ts";
import {
  clearedSessionCookies,
  cookieOf,
  findSession,
  revokeSession,
  sessionCookies,
} from "../auth/sessions.ts";
import { writeAudit } from "../services/audit.ts";
import type { Store } from "../store/store.ts";
import { baseOf, type RequestEnv } from "./app.ts";
import { readJson } from "./body.ts";

/** The cookie binding a redirect login's `state` to the browser that started it (10 minutes). */
export const stateCookie = "corral_auth_state";
const stateTtlSeconds = 600;

/** What the login routes need. */
export interface LoginRouteDeps {
  store: Store;
  auth: Authenticator;
  login: LoginService;
}

/** An identity as Rancher's API showed it: `id` is `<externalIdType>:<externalId>`. */
function presentIdentity(i: Identity): Record<string, unknown> {
  return {
    type: "identity",
    id: `${i.externalIdType}:${i.externalId}`,
    externalId: i.externalId,
    externalIdType: i.externalIdType,
    name: i.name,
    login: i.login ?? null,
    profileUrl: i.profileUrl ?? null,
    user: /(_user|_id)$/.test(i.externalIdType),
  };
}

/** The answer to a login, in the shape of Rancher 1.6's `token` (`jwt` is the session token). */
export function presentToken(base: string, a: LoginAnswer): Record<string, unknown> {
  const accountId = formatId("account", a.account.id);
  const user = a.identities.find((i) => i.externalIdType !== "rancher_id" && /_user$/.test(i.externalIdType));
  return {
    id: formatId("session", a.session.id),
    type: "token",
    baseType: "token",
    jwt: a.token,
    code: null,
    user: a.account.data.username ?? user?.login ?? a.account.name,
    userType: a.account.data.kind,
    accountId,
    authProvider: a.authProvider,
    security: true,
    enabled: true,
    expires: new Date(a.session.data.expires).toISOString(),
    userIdentity: presentIdentity(user ?? a.identities[0]!),
    identities: a.identities.map(presentIdentity),
    links: { self: `${base}/v2-beta/token/current` },
    actions: {},
  };
}

/** Sets the session cookies on an answer. */
function withCookies(res: Response, cookies: string[]): Response {
  for (const c of cookies) res.headers.append("Set-Cookie", c);
  return res;
}

function secureFlag(req: Request): string {
  return req.url.startsWith("https:") ? "; Secure" : "";
}

/**
 * The login endpoints, served without credentials:
 * - `POST /v2-beta/token` logs in (`{code:"user:pass"}`, `{username,password}`, or a redirect
 *   provider's `{code}`, each with an optional `authProvider`) and answers 201 with the token, and
 *   the `token` (HttpOnly) and `CSRF` cookies;
 * - `GET /v2-beta/token`: the auth state (provider, and the caller when credentials are sent);
 * - `DELETE /v2-beta/token/current` (any id): ends the caller's session and drops the cookies;
 * - `GET /v2-beta/auth/<config>/login` and `/callback`: a redirect provider's round trip.
 */
export function loginRoutes(deps: LoginRouteDeps): Hono<{ Bindings: RequestEnv }> {
  const app = new Hono<{ Bindings: RequestEnv }>();
  const callbackUri = (req: Request, name: string) => `${baseOf(req)}/v2-beta/auth/${name}/callback`;

  app.post("/token", async (c) => {
    const body = await readJson(c.req.raw, false);
    const answer = await deps.login.loginWithBody(body, c.env?.ip() ?? "", (n) => callbackUri(c.req.raw, n));
    const res = Response.json(presentToken(baseOf(c.req.raw), answer), { status: 201 });
    return withCookies(res, sessionCookies(c.req.raw, answer.token, deps.login.ttlMs));
  });

  app.get("/token", (c) => {
    const principal = authenticateRequest(deps.auth, c.req.raw, () => c.env?.ip() ?? "");
    const external = deps.login.configs.enabledExternal();
    const provider = external ?? localConfigName;
    const redirect = external && deps.login.configs.module(external) && isRedirect(deps, external);
    return c.json({
      type: "collection",
      resourceType: "token",
      data: [
        {
          type: "token",
          baseType: "token",
          authProvider: provider,
          security: true,
          enabled: true,
          providers: deps.login.configs.names().filter((n) => deps.login.configs.stored(n).enabled),
          redirectUrl: redirect ? `${baseOf(c.req.raw)}/v2-beta/auth/${external}/login` : null,
          accountId: principal?.accountId ?? null,
          userType: principal ? principal.kind : null,
        },
      ],
    });
  });

  app.delete("/token/:id", (c) => {
    const principal = authenticateRequest(deps.auth, c.req.raw, () => c.env?.ip() ?? "");
    const credential = sessionCredential(c.req.raw);
    const session =
      credential && principal?.via === "session" ? findSession(deps.store, credential.token) : null;
    if (!session)
      throw new AppError("Unauthorized", "send the session's token (Bearer or cookie) to log out");
    deps.store.transaction(() => {
      revokeSession(deps.store, session);
      writeAudit(deps.store, {
        principal: principal ?? null,
        clientIp: c.env?.ip() ?? "",
        eventType: "auth.logout",
        resourceType: "token",
        resourceId: principal?.accountId ?? null,
        projectId: null,
        requestObject: {},
        responseCode: 204,
      });
    });
    return withCookies(new Response(null, { status: 204 }), clearedSessionCookies(c.req.raw));
  });

  app.get("/auth/:name/login", async (c) => {
    const name = redirectProviderName(deps, c.req.param("name"));
    const provider = deps.login.configs.provider(name);
    if (provider.kind !== "redirect") throw new AppError("NotFound", `${name} is not a redirect provider`);
    const state = randomBytes(24).toString("base64url");
    const url = await provider.authorizeUrl(state, callbackUri(c.req.raw, name));
    const res = new Response(null, { status: 302, headers: { Location: url } });
    // Lax, not Strict: the provider sends the browser back with a cross-site navigation.
    return withCookies(res, [
      `${stateCookie}=${name}.${state}; HttpOnly; Path=/v2-beta/auth/; Max-Age=${stateTtlSeconds}; SameSite=Lax${secureFlag(c.req.raw)}`,
    ]);
  });

  app.get("/auth/:name/callback", async (c) => {
    const name = redirectProviderName(deps, c.req.param("name"));
    const code = c.req.query("code") ?? "";
    const state = c.req.query("state") ?? "";
    const bound = cookieOf(c.req.raw, stateCookie) ?? "";
    if (!code || code.length > 4096) throw new AppError("MissingRequired", "the provider sent no code");
    if (!stateMatches(bound, `${name}.${state}`))
      throw new AppError(
        "PermissionDenied",
        "the login's state does not match this browser's; start the login again",
      );
    const answer = await deps.login.codeLogin(
      name,
      code,
      callbackUri(c.req.raw, name),
      state,
      c.env?.ip() ?? "",
    );
    const res = new Response(null, { status: 302, headers: { Location: "/" } });
    return withCookies(res, [
      `${stateCookie}=; HttpOnly; Path=/v2-beta/auth/; Max-Age=0; SameSite=Lax${secureFlag(c.req.raw)}`,
      ...sessionCookies(c.req.raw, answer.token, deps.login.ttlMs),
    ]);
  });
  return app;
}

function isRedirect(deps: LoginRouteDeps, name: string): boolean {
  try {
    return deps.login.configs.provider(name).kind === "redirect";
  } catch {
    return false;
  }
}

/** The config name of an enabled external provider named in a path, or 404. */
function redirectProviderName(deps: LoginRouteDeps, raw: string): string {
  const name = deps.login.configs.canonical(raw);
  if (!name || name === localConfigName || !deps.login.configs.stored(name).enabled)
    throw new AppError("NotFound", `no enabled provider ${raw.slice(0, 64)}`);
  return name;
}

function stateMatches(bound: string, presented: string): boolean {
  const a = Buffer.from(bound);
  const b = Buffer.from(presented);
  return a.length > 0 && a.length === b.length && timingSafeEqual(a, b);
}
