import { AppError } from "@corral/lib";
import type { Authenticator } from "./authenticate.ts";
import type { Principal } from "./principal.ts";
import { cookieOf, csrfHeader, csrfMatches, tokenCookie } from "./sessions.ts";

/** Methods that change state: the ones a cookie-authenticated request needs the CSRF header for. */
const stateChanging = new Set(["POST", "PUT", "DELETE", "PATCH"]);

/** Where a request's session token came from, when it carries one. */
export interface SessionCredential {
  token: string;
  fromCookie: boolean;
}

/** The session token of a request: `Authorization: Bearer <token>`, else the `token` cookie. */
export function sessionCredential(req: Request): SessionCredential | null {
  const header = req.headers.get("authorization");
  if (header) {
    const bearer = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
    return bearer ? { token: bearer[1]!, fromCookie: false } : null;
  }
  const cookie = cookieOf(req, tokenCookie);
  return cookie ? { token: cookie, fromCookie: true } : null;
}

/**
 * The principal of a request: an API key (HTTP Basic), a session token (`Authorization: Bearer`),
 * or the session cookie; null when it carries none that works. An Authorization header wins over
 * a cookie. A cookie is sent by the browser on its own, so a state-changing request authenticated
 * by it must also carry `X-API-CSRF` with the value of the `CSRF` cookie (which only pages of this
 * origin can read); otherwise it is refused with 403. Bearer and Basic callers chose to send their
 * credentials and need no such header. Websocket upgrades are checked as reads: the gate already
 * refuses a foreign Origin on them.
 */
export function authenticateRequest(
  auth: Authenticator,
  req: Request,
  clientIp: () => string,
): Principal | null {
  const header = req.headers.get("authorization");
  if (header && !/^Bearer\s/i.test(header)) return auth.authenticate(header, clientIp);
  const credential = sessionCredential(req);
  if (!credential) return null;
  const principal = auth.authenticateSession(credential.token);
  if (
    principal &&
    credential.fromCookie &&
    stateChanging.has(req.method) &&
    !csrfMatches(credential.token, req.headers.get(csrfHeader))
  )
    throw new AppError(
      "PermissionDenied",
      `a request authenticated by the session cookie must repeat the ${"CSRF"} cookie's value in the ${csrfHeader} header`,
    );
  return principal;
}
