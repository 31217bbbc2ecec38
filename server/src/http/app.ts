import { AppError } from "@corral/lib";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { Authenticator } from "../auth/authenticate.ts";
import type { LoginService } from "../auth/login.ts";
import { authenticateRequest, sessionCredential } from "../auth/request-auth.ts";
import type { CatalogService } from "../catalog/catalogs.ts";
import { writeAudit } from "../services/audit.ts";
import type { Dispatcher, ServerSettings, VerbContext } from "../services/context.ts";
import { isVisible } from "../services/context.ts";
import { registerHost } from "../services/registration.ts";
import type { Store } from "../store/store.ts";
import type { JoinTrust } from "../tls/join-trust.ts";
import { webhookRoutes } from "../webhooks/routes.ts";
import { authConfigRoutes } from "./auth-config-routes.ts";
import { readJson } from "./body.ts";
import { catalogRoutes } from "./catalog-routes.ts";
import { computedCollectionRoutes } from "./computed-collection.ts";
import { consumeMapCollection, serviceConsumeMapSchema } from "./consume-maps.ts";
import type { ResourceDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { hostLabelCollection, labelSchema } from "./host-labels.ts";
import { identityRoutes } from "./identity-routes.ts";
import { joinScript } from "./join-script.ts";
import { loginRoutes } from "./login-routes.ts";
import { ResponseCache } from "./response-cache.ts";
import { resourceRouter } from "./router.ts";
import { schemaRoutes } from "./schema-routes.ts";
import { schemasUrl } from "./schemas.ts";
import {
  emptyRoutes,
  emptySchemas,
  projectTemplateRoutes,
  projectTemplateSchema,
  settingRoutes,
  settingSchema,
  subscribeSchema,
} from "./settings.ts";
import { dockerToLaunchConfig } from "./transform.ts";
import { serveV1 } from "./v1.ts";
import { webRoutes } from "./web.ts";

/** What the HTTP app needs. */
export interface AppDeps {
  store: Store;
  auth: Authenticator;
  /** Logins (password and redirect providers), sessions and provider configs. */
  login: LoginService;
  dispatcher: Dispatcher;
  settings: ServerSettings;
  defs: ResourceDef[];
  /** Prometheus text of the server's own numbers. */
  metrics: () => string;
  /** The CA agents pin and the HTTPS port, when the server serves HTTPS. */
  trust?: JoinTrust;
  /** The web UI's built bundle (index.html and assets/). */
  uiDir: string;
  /** Catalogs of templates (`/v1-catalog`, and stacks launched from them). */
  catalogs: CatalogService;
}

/** Bindings the Bun server passes to every request. */
export interface RequestEnv {
  /** The caller's address; a function because most requests never need it. */
  ip: () => string;
}

/** The origin clients used to reach us, for links in answers. */
export function baseOf(req: Request): string {
  // The origin is everything before the first "/" after "scheme://": cheaper than parsing the URL.
  const url = req.url;
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash === -1 ? url : url.slice(0, slash);
}

/** Builds the HTTP API: public endpoints (ping, register, join script), then authenticated `/v2-beta`. */
export function createApp(deps: AppDeps): Hono<ApiEnv & { Bindings: RequestEnv }> {
  const cache = new ResponseCache(deps.store);
  const app = new Hono<ApiEnv & { Bindings: RequestEnv }>();
  app.onError((e, c) => {
    const res = errorResponse(e);
    // The Basic challenge makes a browser ask for a key and password in its own dialog: right for
    // key users, wrong for a failed login form or a page whose session ended.
    if (
      res.status === 401 &&
      (c.req.path.startsWith("/v2-beta/token") || sessionCredential(c.req.raw)?.fromCookie)
    )
      res.headers.delete("WWW-Authenticate");
    return res;
  });
  app.notFound((c) =>
    errorResponse(
      new AppError("NotFound", `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`),
    ),
  );

  // Rancher's UI sends `X-API-No-Challenge: true`: its 401s must not carry a Basic challenge, or the
  // browser would pop its own password dialog over the login page.
  app.use("*", async (c, next) => {
    await next();
    if (c.req.header("x-api-no-challenge") === "true") c.res.headers.delete("WWW-Authenticate");
  });
  app.route("/", webRoutes(deps.uiDir));
  app.get("/ping", (c) => c.text("pong"));
  // The CA a joining host pins, checked against the checksum its registration command carries.
  // Public: it is a certificate, and the host has no credentials yet.
  app.get("/cacerts", (c) => {
    if (!deps.trust) throw new AppError("NotFound", "this server does not serve HTTPS");
    return c.body(deps.trust.caPem, 200, { "Content-Type": "application/x-pem-file" });
  });

  app.post("/v2-beta/register", async (c) => {
    const body = await readJson(c.req.raw, false);
    const ip = c.env?.ip() ?? "";
    // A wrong token counts as a failed attempt of this address; a host's own key is checked only
    // when its uuid is taken (see registerHost).
    const claim = () => deps.auth.authenticate(c.req.header("authorization"), () => ip);
    const result = deps.auth.guard(ip, () => registerHost(deps.store, body, ip, claim));
    writeAudit(deps.store, {
      principal: null,
      clientIp: ip,
      eventType: "agent.register",
      resourceType: "host",
      resourceId: result.hostId,
      projectId: result.projectId,
      requestObject: body,
      responseCode: 201,
    });
    return c.json(result, 201);
  });

  app.get("/v2-beta/scripts/:token", (c) => {
    const token = c.req.param("token");
    deps.auth.guard(c.env?.ip() ?? "", () => {
      const row = deps.store.getByLookup("registrationToken", token);
      if (row?.state !== "active") throw new AppError("NotFound", "unknown registration token");
    }, ["NotFound"]);
    return c.text(joinScript(baseOf(c.req.raw), token, deps.trust), 200, {
      "Content-Type": "text/x-shellscript",
    });
  });

  app.get("/v2-beta/binaries/corral", () => {
    const exe = process.execPath;
    if (!/corral$/.test(exe))
      throw new AppError("NotFound", "this server does not run from a compiled corral binary");
    return new Response(Bun.file(exe), { headers: { "Content-Type": "application/octet-stream" } });
  });

  // Logging in needs no credentials; logging out checks its own (a session).
  app.route("/v2-beta", loginRoutes({ store: deps.store, auth: deps.auth, login: deps.login }));

  app.get("/metrics", (c) => {
    const principal = authenticateRequest(deps.auth, c.req.raw, () => c.env?.ip() ?? "");
    if (!principal)
      throw new AppError("Unauthorized", "send an admin API key with HTTP Basic authentication");
    if (principal.kind !== "admin") throw new AppError("PermissionDenied", "metrics need an admin key");
    return c.text(deps.metrics(), 200, { "Content-Type": "text/plain; version=0.0.4" });
  });

  const authenticated: MiddlewareHandler<ApiEnv & { Bindings: RequestEnv }> = async (c, next) => {
    const principal = authenticateRequest(deps.auth, c.req.raw, () => c.env?.ip() ?? "");
    if (!principal)
      throw new AppError(
        "Unauthorized",
        "send an API key with HTTP Basic authentication, or a login token (Bearer or the token cookie)",
      );
    if (
      principal.kind === "agent" &&
      !(c.req.method === "GET" && c.req.path.endsWith(`/hosts/${principal.hostId}`))
    ) {
      throw new AppError("PermissionDenied", "agent keys may read only their own host");
    }
    const base = baseOf(c.req.raw);
    c.set("principal", principal);
    c.set("base", base);
    c.set("clientIp", () => c.env?.ip() ?? "");
    c.set("cache", cache);
    // Rancher named its schemas on every answer; gdapi clients read this header on their first GET.
    const version = /^\/(v2-beta|v1-catalog|v1)(?:\/|$)/.exec(c.req.path)?.[1] ?? "v2-beta";
    // Only an id-shaped segment goes into the header: the path is decoded, and a header value
    // cannot carry what a client may put there (the fuzzer's non-ASCII ids gave 500s).
    const inProject = /^\/v[^/]+\/projects\/([A-Za-z0-9_.-]{1,64})(?:\/|$)/.exec(c.req.path);
    c.header(
      "X-API-Schemas",
      schemasUrl({ root: `${base}/${version}`, ...(inProject ? { projectId: inProject[1] } : {}) }),
    );
    c.set(
      "verbs",
      (): VerbContext => ({
        store: deps.store,
        principal,
        dispatcher: deps.dispatcher,
        settings: deps.settings,
        catalogs: deps.catalogs,
      }),
    );
    await next();
  };
  app.use("/v2-beta/*", authenticated);
  app.use("/v1-catalog/*", authenticated);

  app.get("/v2-beta", (c) => {
    const base = c.get("base");
    const links: Record<string, string> = { self: `${base}/v2-beta`, schemas: `${base}/v2-beta/schemas` };
    for (const d of deps.defs) links[d.collection] = `${base}/v2-beta/${d.collection}`;
    return c.json({ type: "apiVersion", id: "v2-beta", links });
  });
  app.route(
    "/v2-beta",
    schemaRoutes(
      deps.store,
      [
        ...deps.defs,
        settingSchema,
        serviceConsumeMapSchema,
        labelSchema,
        subscribeSchema,
        projectTemplateSchema,
        ...emptySchemas,
      ],
      "v2-beta",
    ),
  );
  app.route("/v2-beta", authConfigRoutes(deps.store, deps.login.configs));
  app.route("/v2-beta", identityRoutes(deps.store, deps.login.configs));
  app.route("/v2-beta", settingRoutes("v2-beta"));
  app.route("/v2-beta", emptyRoutes("v2-beta"));
  app.route("/v2-beta", projectTemplateRoutes("v2-beta"));
  app.route("/v2-beta", computedCollectionRoutes(deps.store, "v2-beta", consumeMapCollection));
  app.route("/v2-beta", computedCollectionRoutes(deps.store, "v2-beta", hostLabelCollection));
  // Rancher's compose client asks the server to turn Docker's container shape into a launch config.
  app.post("/v2-beta/scripts/transform", async (c) =>
    c.json(dockerToLaunchConfig(await readJson(c.req.raw, false))),
  );
  app.post("/v2-beta/projects/:pid/scripts/transform", async (c) => {
    const pid = c.req.param("pid");
    const project = deps.store.getByPublicId("project", pid);
    if (!project || !isVisible(c.get("principal"), project) || project.state === "removed")
      throw new AppError("NotFound", `project ${pid.slice(0, 64)} not found`);
    return c.json(dockerToLaunchConfig(await readJson(c.req.raw, false)));
  });
  app.route("/v2-beta", resourceRouter(deps.defs));
  app.route("/v1-catalog", catalogRoutes(deps.catalogs));
  // Rancher's webhook service: receivers (through /v2-beta) and the key-authenticated trigger.
  app.route(
    "/v1-webhooks",
    webhookRoutes(deps, async (r, env) => app.fetch(r, env)),
  );
  // Rancher's first API version: the same resources in its own words (see v1.ts).
  const v1 = (c: Context<{ Bindings: RequestEnv }>) => serveV1(c.req.raw, async (r) => app.fetch(r, c.env));
  app.all("/v1", v1);
  app.all("/v1/*", v1);
  return app;
}
