import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/**
 * Login sessions.
 *
 * A login yields an opaque random token (32 bytes, base64url) and a `session` row whose lookup is
 * the SHA-256 of the token: the token itself is never stored, so a copy of the database opens no
 * session. This was chosen over a signed JWT because revocation must be immediate and total
 * (logout, password change, account deactivation end every session of the account at once), which
 * a self-contained JWT cannot do without a server-side list anyway, and because it leaves no
 * signing key to keep, rotate or leak. Each authenticated request costs one indexed lookup (cached
 * with the API key verdicts, and cleared when a session changes).
 */
export interface SessionFields {
  /** The account's public id. */
  accountId: string;
  /** The config name of the provider the person logged in with (`localauthconfig`, ...). */
  authProvider: string;
  /** Epoch milliseconds after which the token no longer works. */
  expires: number;
  /** The client address at login (shown to admins; never used to authorize). */
  clientIp: string;
}

/** How long a session lasts unless the server is told otherwise (Rancher's 16 h). */
export const defaultSessionTtlMs = 16 * 3600_000;

/** The name of the cookie that carries the session token (Rancher's). */
export const tokenCookie = "token";
/** The readable cookie holding the CSRF value, and the header that must repeat it. */
export const csrfCookie = "CSRF";
/** Header a cookie-authenticated state-changing request must carry (Rancher's name). */
export const csrfHeader = "X-API-CSRF";

/** The lookup key of a token: its SHA-256 in hex. */
export function tokenLookup(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * The CSRF value that goes with a token: derived from it (so it need not be stored, and a value
 * planted by another site's cookie cannot match), but not revealing it.
 */
export function csrfValue(token: string): string {
  return createHash("sha256").update(`csrf:${token}`).digest("base64url").slice(0, 32);
}

/** True when `presented` is the CSRF value of `token`, compared in constant time. */
export function csrfMatches(token: string, presented: string | null | undefined): boolean {
  if (!presented) return false;
  const want = Buffer.from(csrfValue(token));
  const got = Buffer.from(presented);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Starts a session for an account; returns the token (shown once) and the row. */
export function createSession(
  store: Store,
  fields: Omit<SessionFields, "expires">,
  ttlMs: number,
): { token: string; row: Row<SessionFields> } {
  const token = randomBytes(32).toString("base64url");
  const row = store.insert<SessionFields>("session", {
    state: "active",
    lookup: tokenLookup(token),
    data: { ...fields, expires: Date.now() + ttlMs },
  });
  return { token, row };
}

/** The active, unexpired session of a token, or null. */
export function findSession(store: Store, token: string): Row<SessionFields> | null {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = store.getByLookup<SessionFields>("session", tokenLookup(token));
  if (row?.state !== "active" || row.data.expires <= Date.now()) return null;
  return row;
}

/** Ends one session (logout). */
export function revokeSession(store: Store, row: Row<SessionFields>): void {
  store.update(row.id, { state: "removed", removed: Date.now(), lookup: null }, ["active"]);
}

/** Ends every session of an account (password change, deactivation, removal, admin reset). */
export function revokeAccountSessions(store: Store, accountId: string): number {
  return store.transaction(() => {
    const rows = store.all<SessionFields>("session", {
      state: ["active"],
      dataField: ["accountId", accountId],
    });
    for (const row of rows) revokeSession(store, row);
    return rows.length;
  });
}

/** Deletes ended and expired sessions for good (run now and then; at most `limit` a call). */
export function purgeOldSessions(store: Store, limit = 500): number {
  const ids = store.db
    .query<{ id: number }, [number, number]>(
      `SELECT id FROM resource WHERE type = 'session'
         AND (state != 'active' OR json_extract(data, '$.expires') <= ?) LIMIT ?`,
    )
    .all(Date.now(), limit);
  for (const { id } of ids) store.purge(id);
  return ids.length;
}

/** The value of one cookie of a request, or null. */
export function cookieOf(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** `; Secure` when the request came over HTTPS (a cookie marked Secure is never sent over HTTP). */
function secureFlag(req: Request): string {
  return req.url.startsWith("https:") ? "; Secure" : "";
}

/** The Set-Cookie values of a new session: the HttpOnly token and the readable CSRF value. */
export function sessionCookies(req: Request, token: string, ttlMs: number): string[] {
  const age = Math.floor(ttlMs / 1000);
  const flags = `Path=/; Max-Age=${age}; SameSite=Strict${secureFlag(req)}`;
  return [`${tokenCookie}=${token}; HttpOnly; ${flags}`, `${csrfCookie}=${csrfValue(token)}; ${flags}`];
}

/** The Set-Cookie values that drop both session cookies (logout). */
export function clearedSessionCookies(req: Request): string[] {
  const flags = `Path=/; Max-Age=0; SameSite=Strict${secureFlag(req)}`;
  return [`${tokenCookie}=; HttpOnly; ${flags}`, `${csrfCookie}=; ${flags}`];
}
