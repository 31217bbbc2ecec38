import { AppError } from "@corral/lib";
import { type Context, Hono } from "hono";
import type { AuthConfigs } from "../auth/auth-configs.ts";
import { writeAudit } from "../services/audit.ts";
import type { Store } from "../store/store.ts";
import { readJson } from "./body.ts";
import type { ApiEnv } from "./env.ts";

/**
 * `GET`, `PUT` and `POST /v2-beta/<config>` for `localauthconfig` and every provider module's config
 * (and `GET /v2-beta/<config>s`, the one-item collection Rancher listed), admins only. Secret fields
 * are sealed before they are stored and shown as "" (see auth-configs.ts); the audit row keeps the
 * request with them redacted.
 */
export function authConfigRoutes(store: Store, configs: AuthConfigs): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const admin = (kind: string) => {
    if (kind !== "admin") throw new AppError("PermissionDenied", "provider settings need an admin");
  };
  for (const name of configs.names()) {
    app.get(`/${name}`, (c) => {
      admin(c.get("principal").kind);
      return c.json(configs.present(name, c.get("base")));
    });
    app.get(`/${name}s`, (c) => {
      admin(c.get("principal").kind);
      return c.json({ type: "collection", resourceType: name, data: [configs.present(name, c.get("base"))] });
    });
    const put = async (c: Context<ApiEnv>) => {
      const principal = c.get("principal");
      admin(principal.kind);
      const body = await readJson(c.req.raw, false);
      store.transaction(() => {
        configs.update(name, body);
        writeAudit(store, {
          principal,
          clientIp: c.get("clientIp")(),
          eventType: `${name}.update`,
          resourceType: name,
          resourceId: name,
          projectId: null,
          requestObject: redact(body, configs.module(name)?.secretFields ?? []),
          responseCode: 200,
        });
      });
      return c.json(configs.present(name, c.get("base")));
    };
    app.put(`/${name}`, put);
    app.post(`/${name}`, put);
    app.post(`/${name}s`, put);
  }
  return app;
}

/** A copy of a config body with its secret fields replaced, for the audit log. */
function redact(body: unknown, secretFields: readonly string[]): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const f of secretFields) if (f in out) out[f] = "<redacted>";
  return out;
}
