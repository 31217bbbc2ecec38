import { AppError } from "@corral/lib";
import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import { auditTrigger, receiverForKey, type TriggerDeps, trigger } from "./trigger.ts";

/** Bindings the routes read (the caller's address). */
interface Env {
  Bindings: { ip: () => string };
}

/**
 * `/v1-webhooks`, as Rancher's webhook service served it:
 * - `receivers[/<id>]?projectId=<id>`: the receiver resource, answered by the authenticated
 *   `/v2-beta/projects/<id>/receivers` (same checks, roles and audit) through `forward`;
 * - `POST endpoint?key=<key>&projectId=<id>`: the trigger, authenticated by its key alone.
 */
export function webhookRoutes(
  deps: TriggerDeps,
  forward: (req: Request, env: Env["Bindings"] | undefined) => Promise<Response> | Response,
): Hono<Env> {
  const app = new Hono<Env>();
  const toV2 = (req: Request, rest: string) => {
    const url = new URL(req.url);
    const pid = url.searchParams.get("projectId");
    url.searchParams.delete("projectId");
    const scope = pid ? `/projects/${encodeURIComponent(pid)}` : "";
    url.pathname = `/v2-beta${scope}/receivers${rest}`;
    return new Request(url.toString(), req);
  };
  app.all("/receivers", (c) => forward(toV2(c.req.raw, ""), c.env));
  app.all("/receivers/:id", (c) =>
    forward(toV2(c.req.raw, `/${encodeURIComponent(c.req.param("id"))}`), c.env),
  );

  app.post("/endpoint", async (c) => {
    const key = c.req.query("key") ?? "";
    const projectId = c.req.query("projectId") ?? "";
    // Checked before the body is read: an unknown key learns nothing, whatever it sends.
    const row = receiverForKey(deps.store, key, projectId);
    const ip = c.env?.ip() ?? "";
    let body: unknown = {};
    if (row.data.driver === "serviceUpgrade")
      body = await readJson(c.req.raw, false).catch((e: Error) => {
        // A body that is not JSON is a call of the URL all the same: it is audited.
        auditTrigger(deps.store, row, null, ip, e instanceof AppError ? e.status : 400, e.message);
        throw e;
      });
    const result = trigger(deps, row, body, ip);
    return c.json(result, 200);
  });
  app.all("/endpoint", () => {
    throw new AppError("MethodNotAllowed", "trigger a webhook with POST");
  });
  return app;
}
