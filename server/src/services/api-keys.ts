import { apiKeyCreateSchema, formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { hashSecret, newKeyPair } from "../auth/keys.ts";
import type { ApiKeyData } from "../model/account.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** A freshly made key: the row plus the secret, which is shown this once and never again. */
export interface NewApiKey {
  row: Row<ApiKeyData>;
  secretValue: string;
}

/** Inserts a key row (inside the caller's transaction). */
export function insertApiKey(
  store: Store,
  owner: Omit<ApiKeyData, "publicValue">,
  name?: string,
  pair = newKeyPair(),
): NewApiKey {
  const row = store.insert<ApiKeyData>("apiKey", {
    projectId: owner.kind === "project" ? owner.accountId : null,
    name: name ?? null,
    state: "active",
    lookup: pair.publicValue,
    secret: hashSecret(pair.secretValue),
    data: { ...owner, publicValue: pair.publicValue },
  });
  return { row, secretValue: pair.secretValue };
}

/** Creates an API key: an environment key when `projectId` is given, else a key of the caller's account. */
export function createApiKey(ctx: VerbContext, projectId: string | null, body: unknown): NewApiKey {
  const input = parseInput(apiKeyCreateSchema, body);
  const p = ctx.principal;
  return ctx.store.transaction(() => {
    if (projectId) {
      const project = loadProject(ctx, projectId);
      const owner = formatId("project", project.id);
      return insertApiKey(
        ctx.store,
        { kind: "project", accountId: owner, description: input.description },
        input.name,
      );
    }
    if (p.kind !== "admin" && p.kind !== "user") {
      throw new AppError(
        "PermissionDenied",
        "environment keys can create keys only inside their environment",
      );
    }
    return insertApiKey(
      ctx.store,
      { kind: "account", accountId: keyOwner(ctx, input.accountId), description: input.description },
      input.name,
    );
  });
}

/**
 * The account a new account key belongs to: the caller's own, or (for admins only) the person's
 * named by `accountId`, which must be an active admin or user account (agents have keys of their own).
 */
function keyOwner(ctx: VerbContext, accountId: string | null | undefined): string {
  const p = ctx.principal;
  if (!accountId || accountId === p.accountId) return p.accountId;
  if (p.kind !== "admin")
    throw new AppError("PermissionDenied", "accountId: only an admin may make keys for another account", {
      detail: { field: "accountId" },
    });
  const account = ctx.store.getByPublicId<{ kind: string }>("account", accountId);
  if (account?.state !== "active" || account.data.kind === "agent")
    throw new AppError(
      "InvalidReference",
      `accountId: no active person's account ${accountId.slice(0, 64)}`,
      {
        detail: { field: "accountId" },
      },
    );
  return accountId;
}

/** Activates or deactivates a key. */
export function setApiKeyActive(ctx: VerbContext, id: string, active: boolean): Row<ApiKeyData> {
  return ctx.store.transaction(() => {
    const key = loadVisible<ApiKeyData>(ctx, "apiKey", id);
    if (!active && id === ctx.principal.keyId)
      throw new AppError("InvalidState", "you cannot deactivate the key you are using");
    const row = ctx.store.update<ApiKeyData>(key.id, { state: active ? "active" : "inactive" }, [
      active ? "inactive" : "active",
    ]);
    if (!row) throw new AppError("InvalidState", `apiKey ${id} is ${key.state}`);
    return row;
  });
}

/** Removes a key; it stops working at once. */
export function removeApiKey(ctx: VerbContext, id: string): Row<ApiKeyData> {
  return ctx.store.transaction(() => {
    const key = loadVisible<ApiKeyData>(ctx, "apiKey", id);
    if (id === ctx.principal.keyId)
      throw new AppError("InvalidState", "you cannot remove the key you are using");
    const row = ctx.store.update<ApiKeyData>(
      key.id,
      { state: "removed", removed: Date.now(), lookup: null },
      ["active", "inactive"],
    );
    if (!row) throw new AppError("InvalidState", `apiKey ${id} is ${key.state}`);
    return row;
  });
}
