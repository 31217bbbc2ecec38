import { AppError } from "@corral/lib";
import { isJsonType, maxBodyBytes } from "./body.ts";
import { landingPageStyleHash } from "./web.ts";

/**
 * A Host header as RFC 9110 allows it: a DNS name, an IPv4 address or a bracketed IPv6 literal, and
 * an optional port. Anything else ("a b", "x/y", two hosts joined with a comma) leaves the request
 * without a URL, and every route failed with 500 on it.
 */
const hostRe = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.~-]{0,252})?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/** Methods that change state: what a cross-site form or script could try to make a browser send. */
const stateChanging = new Set(["POST", "PUT", "DELETE", "PATCH"]);

/**
 * Checks what every request must satisfy before any route or websocket endpoint sees it, and
 * answers the error to refuse it with (or undefined):
 * - a valid Host header (400 InvalidHeader);
 * - a declared body no larger than the API reads (413 TooLarge, before a byte of it is read);
 * - on state-changing methods and websocket upgrades, no `Origin` but this server's own (403): a
 *   browser sends one with every cross-site request, and with cached Basic credentials a foreign
 *   page could otherwise remove a stack or read the event stream;
 * - on state-changing methods, a JSON content type or none (415): forms can only send
 *   `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`.
 * `publicOrigins` are origins the server is reached through besides its Host (`publicUrl`).
 */
export function refusal(req: Request, publicOrigins: readonly string[]): AppError | undefined {
  const host = req.headers.get("host");
  if (host === null) return new AppError("InvalidHeader", "send a Host header");
  const m = hostRe.exec(host);
  if (!m || (m[1] !== undefined && Number(m[1]) > 65535) || !URL.canParse(req.url)) {
    return new AppError(
      "InvalidHeader",
      `the Host header ${JSON.stringify(host.slice(0, 100))} is not a host[:port]`,
    );
  }
  const length = req.headers.get("content-length");
  if (length !== null && Number(length) > maxBodyBytes) {
    return new AppError("TooLarge", `the body is larger than ${maxBodyBytes} bytes`);
  }
  const changes = stateChanging.has(req.method);
  if (changes || req.headers.get("upgrade") !== null) {
    const origin = req.headers.get("origin");
    if (origin !== null && !isOwnOrigin(origin, host, publicOrigins)) {
      return new AppError(
        "PermissionDenied",
        `requests from ${JSON.stringify(origin.slice(0, 100))} may not change anything here (cross-site)`,
      );
    }
  }
  if (changes) {
    const type = req.headers.get("content-type");
    if (type !== null && !isJsonType(type)) {
      return new AppError("UnsupportedMediaType", `send application/json, not ${type.slice(0, 64)}`);
    }
  }
  return undefined;
}

/** True when `origin` is this server as the client reached it (either scheme: a TLS proxy may front it). */
function isOwnOrigin(origin: string, host: string, publicOrigins: readonly string[]): boolean {
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  if (o === `http://${h}` || o === `https://${h}`) return true;
  return publicOrigins.some((p) => p.toLowerCase() === o);
}

/**
 * The policy of every answer: scripts, styles and connections (fetch, the event and logs websockets)
 * only from this origin's own files, never inline; the fallback page's one style by its hash; no page
 * may frame ours, no form may post from it, and no base URL may be injected. A JSON answer opened as
 * a page runs nothing either.
 */
export const contentSecurityPolicy = `default-src 'none'; script-src 'self'; style-src 'self' '${landingPageStyleHash}'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

/** Headers every answer carries. */
const securityHeaders: [string, string][] = [
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "no-referrer"],
  ["Content-Security-Policy", contentSecurityPolicy],
];

/**
 * Adds the security headers to an answer, and `Cache-Control: no-store` unless it says otherwise:
 * API answers carry credentials' results and must not be kept by browsers or proxies.
 */
export function secure(res: Response): Response {
  // Responses from fetch() have immutable headers; ours never do, but a copy is cheap insurance.
  let out = res;
  try {
    for (const [k, v] of securityHeaders) out.headers.set(k, v);
  } catch {
    out = new Response(res.body, res);
    for (const [k, v] of securityHeaders) out.headers.set(k, v);
  }
  if (!out.headers.has("Cache-Control")) out.headers.set("Cache-Control", "no-store");
  return out;
}
