import { formatId, type IdType } from "@corral/api";
import { AppError } from "@corral/lib";
import type { Context } from "hono";
import { type Area, areaOfType } from "../auth/role-matrix.ts";
import type { StackFields } from "../model/service.ts";
import { writeAudit } from "../services/audit.ts";
import { projectOfRow } from "../services/authorize.ts";
import type { VerbContext } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { ResourceDef } from "./definition.ts";
import type { ApiEnv } from "./env.ts";

/**
 * Runs the role check of a write for the generic router; a refusal leaves an audit row (who tried
 * what, and the 403) as a refusal inside a verb does, then propagates.
 */
export function guardWrite(
  c: Context<ApiEnv>,
  def: ResourceDef,
  verb: string,
  check: (ctx: VerbContext) => void,
  target?: Row,
): void {
  const ctx = c.get("verbs")(c);
  try {
    check(ctx);
  } catch (e) {
    if (e instanceof AppError)
      writeAudit(ctx.store, {
        principal: ctx.principal,
        clientIp: c.get("clientIp")(),
        eventType: `api.${def.type}.${verb}`,
        resourceType: def.type,
        resourceId: target ? formatId(target.type as IdType, target.id) : null,
        projectId: target ? projectOfRow(target) : (ctx.principal.projectId ?? null),
        requestObject: null,
        responseCode: e.status,
      });
    throw e;
  }
}

/** The part of an environment a collection of `def` lists (environment keys inside one). */
export function listArea(def: ResourceDef): Area | null {
  return def.type === "apiKey" ? "environmentKeys" : areaOfType(def.type);
}

/**
 * The part of the environment a create adds to: an environment key for keys made inside one, a
 * service or container of an infrastructure stack when the body names one, else the type's own.
 */
export function createArea(ctx: VerbContext, def: ResourceDef, body: unknown): Area | null {
  if (def.type === "apiKey") return "environmentKeys";
  const area = areaOfType(def.type);
  if (area !== "userStacks" || body === null || typeof body !== "object") return area;
  const stackId = (body as { stackId?: unknown }).stackId;
  if (typeof stackId !== "string") return area;
  const stack = ctx.store.getByPublicId<StackFields>("stack", stackId);
  return stack?.data.system === true ? "infraStacks" : area;
}
