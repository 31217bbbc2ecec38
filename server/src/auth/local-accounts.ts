import { AppError } from "@corral/lib";
import type { AccountFields } from "../model/account.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/** What a login name may be: letters, digits and `._@-`, starting with a letter or digit. */
const usernameRe = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Throws InvalidFormat unless `value` can be a username; returns it. */
export function checkUsername(value: unknown): string {
  if (typeof value !== "string" || !usernameRe.test(value))
    throw new AppError(
      "InvalidFormat",
      "username must be 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
      { detail: { field: "username" } },
    );
  return value;
}

/** The lookup key of a local account's username (any case is the same name). */
export function usernameLookup(username: string): string {
  return `user:${username.toLowerCase()}`;
}

/** The lookup key of an account made for an external provider's user. */
export function externalLookup(externalIdType: string, externalId: string): string {
  return `${externalIdType}:${externalId}`;
}

/** The local account with this username (any state), or null. */
export function findLocalAccount(store: Store, username: string): Row<AccountFields> | null {
  if (username.length > 64) return null;
  return store.getByLookup<AccountFields>("account", usernameLookup(username));
}

/** Throws NotUnique when another account has this username. */
export function assertUsernameFree(store: Store, username: string, exceptRowId?: number): void {
  const other = findLocalAccount(store, username);
  if (other && other.id !== exceptRowId)
    throw new AppError("NotUnique", `the username ${username} is taken`, { detail: { field: "username" } });
}
