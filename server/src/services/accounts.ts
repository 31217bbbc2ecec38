import { accountCreateSchema, accountUpdateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import type { AccountFields } from "../model/account.ts";
import type { Row } from "../store/rows.ts";
import { loadVisible, requireAdmin, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Creates an admin or user account (admins only). */
export function createAccount(ctx: VerbContext, body: unknown): Row<AccountFields> {
  requireAdmin(ctx);
  const input = parseInput(accountCreateSchema, body);
  return ctx.store.transaction(() => {
    const clash = ctx.store
      .all("account", { state: ["active", "inactive"] })
      .some((a) => a.name === input.name);
    if (clash) throw new AppError("NotUnique", `an account named ${input.name} exists already`);
    return ctx.store.insert<AccountFields>("account", {
      name: input.name,
      state: "active",
      data: { kind: input.kind, description: input.description },
    });
  });
}

/** Edits an account's name or description. */
export function updateAccount(ctx: VerbContext, id: string, body: unknown): Row<AccountFields> {
  const input = parseInput(accountUpdateSchema, body);
  return ctx.store.transaction(() => {
    const account = loadVisible<AccountFields>(ctx, "account", id);
    if (ctx.principal.kind !== "admin" && ctx.principal.accountId !== id) {
      throw new AppError("PermissionDenied", "you may edit only your own account");
    }
    const data: Record<string, unknown> = {};
    if (input.description !== undefined) data.description = input.description;
    return ctx.store.update<AccountFields>(account.id, { name: input.name, data })!;
  });
}

/** Activates or deactivates an account; deactivated accounts' keys stop working at once. */
export function setAccountActive(ctx: VerbContext, id: string, active: boolean): Row<AccountFields> {
  requireAdmin(ctx);
  return ctx.store.transaction(() => {
    const account = loadVisible<AccountFields>(ctx, "account", id);
    if (!active && id === ctx.principal.accountId)
      throw new AppError("InvalidState", "you cannot deactivate yourself");
    const row = ctx.store.update<AccountFields>(account.id, { state: active ? "active" : "inactive" }, [
      active ? "inactive" : "active",
    ]);
    if (!row) throw new AppError("InvalidState", `account ${id} is ${account.state}`);
    return row;
  });
}

/** Removes an account (never your own, never an agent's: remove its host instead). */
export function removeAccount(ctx: VerbContext, id: string): Row<AccountFields> {
  requireAdmin(ctx);
  return ctx.store.transaction(() => {
    const account = loadVisible<AccountFields>(ctx, "account", id);
    if (id === ctx.principal.accountId) throw new AppError("InvalidState", "you cannot remove yourself");
    if (account.data.kind === "agent") throw new AppError("InvalidState", "remove the agent's host instead");
    const row = ctx.store.update<AccountFields>(account.id, { state: "removed", removed: Date.now() }, [
      "active",
      "inactive",
    ]);
    if (!row) throw new AppError("InvalidState", `account ${id} is ${account.state}`);
    return row;
  });
}
