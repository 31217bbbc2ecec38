import { existsSync } from "node:fs";
import { join } from "node:path";
import { AppError, type Logger } from "@corral/lib";
import { findLocalAccount, usernameLookup } from "./auth/local-accounts.ts";
import { generatePassword, hashPasswordSync, passwordBounds } from "./auth/passwords.ts";
import { revokeAccountSessions } from "./auth/sessions.ts";
import type { AccountFields } from "./model/account.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";

/** The first admin's login name. */
export const adminUsername = "admin";

/**
 * Gives the first admin a login: the username `admin` (unless another account took it, or the
 * admin already has one) and a password, from CORRAL_ADMIN_PASSWORD when set (applied at every
 * start: a new value replaces the old and ends the admin's sessions) or else generated once.
 * Returns the admin's username and the password when it was just generated (to print once).
 */
export function ensureAdminLogin(
  store: Store,
  adminAccountId: string,
  env: Record<string, string | undefined>,
  log: Logger,
): { username: string; password: string | null } {
  const wanted = env.CORRAL_ADMIN_PASSWORD;
  if (wanted !== undefined && (wanted.length < passwordBounds.min || wanted.length > passwordBounds.max))
    throw new AppError(
      "InvalidOption",
      `CORRAL_ADMIN_PASSWORD must have ${passwordBounds.min} to ${passwordBounds.max} characters`,
    );
  const admin = store.getByPublicId<AccountFields>("account", adminAccountId);
  if (!admin) throw new AppError("InvalidState", `the admin account ${adminAccountId} is missing`);
  let username = admin.data.username;
  if (!username) {
    username = findLocalAccount(store, adminUsername) ? `admin-${adminAccountId}` : adminUsername;
    store.update(admin.id, { lookup: usernameLookup(username), data: { username } });
  }
  const stored = store.secretOf(admin.id);
  if (wanted !== undefined) {
    if (!stored || !Bun.password.verifySync(wanted, stored)) {
      store.update(admin.id, { secret: hashPasswordSync(wanted) });
      if (stored) {
        revokeAccountSessions(store, adminAccountId);
        log.info("admin password replaced by CORRAL_ADMIN_PASSWORD; the admin's sessions were ended", {
          username,
        });
      }
    }
    return { username, password: null };
  }
  if (stored) return { username, password: null };
  const password = generatePassword();
  store.update(admin.id, { secret: hashPasswordSync(password) });
  return { username, password };
}

/**
 * Sets a new generated password for the first admin (`corral server reset-admin`), gives it back
 * its username if it lost it, activates it, and ends all its sessions. Returns the login to print.
 */
export function resetAdminPassword(store: Store): { username: string; password: string } {
  const adminAccountId = store.getSetting("adminAccountId");
  if (!adminAccountId)
    throw new AppError("NotFound", "this data folder has no admin account yet; start the server once");
  return store.transaction(() => {
    const admin = store.getByPublicId<AccountFields>("account", adminAccountId);
    if (!admin || admin.state === "removed")
      throw new AppError("InvalidState", `the admin account ${adminAccountId} was removed`);
    const { username } = ensureAdminLogin(store, adminAccountId, {}, { info() {} } as unknown as Logger);
    const password = generatePassword();
    store.update(admin.id, { secret: hashPasswordSync(password), state: "active" });
    revokeAccountSessions(store, adminAccountId);
    return { username, password };
  });
}

/**
 * `corral server reset-admin`: resets the admin's password in the store of `dataDir` (which may be
 * in use by a running server: SQLite serializes the write, and the server reads the new hash on
 * the next login; sessions it had cached end within 30 s).
 */
export function resetAdminInFolder(dataDir: string): { username: string; password: string } {
  const path = join(dataDir, "corral.db");
  if (!existsSync(path)) throw new AppError("NotFound", `no Corral store in ${dataDir} (no corral.db)`);
  const db = openDatabase(path);
  try {
    return resetAdminPassword(new Store(db));
  } finally {
    db.close();
  }
}
