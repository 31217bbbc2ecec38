import { accountCreateSchema, accountUpdateSchema, changeSecretSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { assertUsernameFree, usernameLookup } from "../auth/local-accounts.ts";
import { hashPassword, hashPasswordSync, verifyPassword } from "../auth/passwords.ts";
import { revokeAccountSessions } from "../auth/sessions.ts";
import type { AccountFields } from "../model/account.ts";
import type { Row } from "../store/rows.ts";
import { loadVisible, requireAdmin, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Creates an admin or user account (admins only), with a local login when a username is given. */
export function createAccount(ctx: VerbContext, body: unknown): Row<AccountFields> {
  requireAdmin(ctx);
  const input = parseInput(accountCreateSchema, body);
  if (input.password !== undefined && input.username === undefined)
    throw new AppError("MissingRequired", "a password needs a username to log in with", {
      detail: { field: "username" },
    });
  // Hashed before the transaction opens: the hash is the slow part.
  const secret = input.password !== undefined ? hashPasswordSync(input.password) : null;
  return ctx.store.transaction(() => {
    const clash = ctx.store
      .all("account", { state: ["active", "inactive"] })
      .some((a) => a.name === input.name);
    if (clash) throw new AppError("NotUnique", `an account named ${input.name} exists already`);
    if (input.username) assertUsernameFree(ctx.store, input.username);
    return ctx.store.insert<AccountFields>("account", {
      name: input.name,
      state: "active",
      lookup: input.username ? usernameLookup(input.username) : null,
      secret,
      data: {
        kind: input.kind,
        description: input.description,
        ...(input.username ? { username: input.username } : {}),
      },
    });
  });
}

/**
 * Sets an account's password (Rancher's `changesecret`): your own needs `oldSecret` (the current
 * password); an admin sets anyone else's without it. Every session of the account ends.
 */
export async function changeSecret(ctx: VerbContext, id: string, body: unknown): Promise<Row<AccountFields>> {
  const input = parseInput(changeSecretSchema, body);
  const account = loadVisible<AccountFields>(ctx, "account", id);
  const own = ctx.principal.accountId === id;
  if (!own && ctx.principal.kind !== "admin")
    throw new AppError("PermissionDenied", "you may change only your own password");
  if (ctx.principal.kind !== "admin" && ctx.principal.kind !== "user")
    throw new AppError("PermissionDenied", "only people have passwords");
  if (!account.data.username)
    throw new AppError("InvalidState", "the account has no username; give it one first", {
      detail: { field: "username" },
    });
  if (own) {
    if (input.oldSecret === undefined)
      throw new AppError("MissingRequired", "send oldSecret, your current password", {
        detail: { field: "oldSecret" },
      });
    if (!(await verifyPassword(input.oldSecret, ctx.store.secretOf(account.id))))
      throw new AppError("PermissionDenied", "oldSecret is not your current password", {
        detail: { field: "oldSecret" },
      });
  }
  const secret = await hashPassword(input.newSecret);
  return ctx.store.transaction(() => {
    const row = ctx.store.update<AccountFields>(account.id, { secret }, ["active", "inactive"]);
    if (!row) throw new AppError("InvalidState", `account ${id} was removed`);
    revokeAccountSessions(ctx.store, id);
    return row;
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
    let lookup: string | undefined;
    if (input.username !== undefined && input.username !== account.data.username) {
      requireAdmin(ctx);
      if (account.data.kind === "agent") throw new AppError("InvalidState", "agents do not log in");
      assertUsernameFree(ctx.store, input.username, account.id);
      data.username = input.username;
      lookup = usernameLookup(input.username);
    }
    return ctx.store.update<AccountFields>(account.id, { name: input.name, data, lookup })!;
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
    if (!active) revokeAccountSessions(ctx.store, id);
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
    // The lookup (username, or provider user) is freed: the name can be given again, and the
    // provider's user gets a new account at their next login if the access mode lets them in.
    const row = ctx.store.update<AccountFields>(
      account.id,
      { state: "removed", removed: Date.now(), lookup: null, secret: null },
      ["active", "inactive"],
    );
    if (!row) throw new AppError("InvalidState", `account ${id} is ${account.state}`);
    revokeAccountSessions(ctx.store, id);
    return row;
  });
}
