import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { mayDo, type Principal, refusal, roleIn } from "../auth/principal.ts";
import { type Area, areaOfType, type Operation, operationOfAction } from "../auth/role-matrix.ts";
import type { ApiKeyData } from "../model/account.ts";
import type { StackFields } from "../model/service.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { VerbContext } from "./context.ts";

/**
 * The row of the role matrix a row falls under: a stack by its `system` flag, and a service or
 * container by its stack's; an account's own API key is no environment's (null).
 */
export function areaOfRow(store: Store, row: Row): Area | null {
  if (row.type === "apiKey") return (row.data as ApiKeyData).kind === "project" ? "environmentKeys" : null;
  const area = areaOfType(row.type);
  if (area !== "userStacks") return area;
  if (row.type === "stack") return (row.data as StackFields).system === true ? "infraStacks" : "userStacks";
  const stackId = (row.data as { stackId?: string }).stackId;
  if (!stackId) return area;
  const stack = store.getByPublicId<StackFields>("stack", stackId);
  return stack?.data.system === true ? "infraStacks" : "userStacks";
}

/** The environment a row belongs to (a project row is its own). */
export function projectOfRow(row: Row): string | null {
  return row.type === "project" ? formatId("project", row.id) : row.projectId;
}

/**
 * Throws PermissionDenied, naming the caller's role, unless the principal may do `op` in `area` of
 * `projectId`. Callers check visibility first: what the caller may not see is NotFound, not this.
 */
export function requireAllowed(ctx: VerbContext, projectId: string, area: Area, op: Operation): void {
  if (!mayDo(ctx.principal, projectId, area, op))
    throw new AppError("PermissionDenied", refusal(ctx.principal, projectId, area, op), {
      detail: { area, operation: op },
    });
}

/** `requireAllowed` for a row: its own environment and area; rows of no environment pass. */
export function requireAllowedOn(ctx: VerbContext, row: Row, op: Operation): void {
  const projectId = projectOfRow(row);
  const area = areaOfRow(ctx.store, row);
  if (projectId && area) requireAllowed(ctx, projectId, area, op);
}

/** True when the principal may read `row` (it sees it, and its role may read that area). */
export function mayRead(store: Store, ctx: Pick<VerbContext, "principal">, row: Row): boolean {
  const projectId = projectOfRow(row);
  const area = areaOfRow(store, row);
  return !projectId || !area || mayDo(ctx.principal, projectId, area, "read");
}

/**
 * Which of a row's actions a person may call, for listing only those (Rancher's UI shows the actions
 * a resource lists): undefined for callers whose actions are not narrowed by a role (admins,
 * environment and agent keys) and for rows of no environment.
 */
export function actionsFilter(
  store: Store,
  p: Principal,
  row: Row,
): ((action: string) => boolean) | undefined {
  if (p.kind !== "user") return undefined;
  const projectId = projectOfRow(row);
  const area = areaOfRow(store, row);
  if (!projectId || !area) return undefined;
  return (name) =>
    row.type === "project" && name === "setmembers"
      ? mayDo(p, projectId, "membership", "update")
      : mayDo(p, projectId, area, operationOfAction(name));
}

/** A person's roles in `projectIds`, as a short text: what a cached page of theirs depends on. */
export function rolesKey(p: Principal, projectIds: readonly string[] | undefined): string {
  if (p.kind !== "user") return "";
  const ids = projectIds ?? Object.keys(p.roles ?? {});
  return ids.map((id) => roleIn(p, id) ?? "-").join(",");
}
