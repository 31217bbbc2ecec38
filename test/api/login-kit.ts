/**
 * Helpers of the login tests: logging in over HTTP, the cookies of an answer, and clients that
 * authenticate with a Bearer token or with the session cookies (and the CSRF header).
 */
import { expect } from "bun:test";
import { type Answer, Client, expectStatus } from "./harness.ts";

/** POSTs a login body to /v2-beta/token. */
export function postToken(
  base: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Client(base, null).raw("POST", "/v2-beta/token", {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** The cookies an answer sets, by name: value and attributes as sent. */
export function setCookies(answer: Answer): Map<string, { value: string; raw: string }> {
  const out = new Map<string, { value: string; raw: string }>();
  for (const c of answer.headers.getSetCookie()) {
    const first = c.split(";")[0]!;
    const eq = first.indexOf("=");
    out.set(first.slice(0, eq), { value: first.slice(eq + 1), raw: c });
  }
  return out;
}

/** A logged-in person: the login answer, a Bearer client and a cookie client. */
export interface Session {
  answer: Answer;
  token: string;
  csrf: string;
  bearer: Client;
  /** Sends the cookies only (no CSRF header). */
  cookie: Client;
  /** Sends the cookies and the CSRF header. */
  cookieCsrf: Client;
}

/** A client that adds fixed headers to every request. */
export class HeaderClient extends Client {
  constructor(
    base: string,
    private readonly extra: Record<string, string>,
  ) {
    super(base, null);
  }

  override raw(
    method: string,
    path: string,
    options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ) {
    return super.raw(method, path, { ...options, headers: { ...this.extra, ...(options.headers ?? {}) } });
  }
}

/** Logs in with `body` and expects 201. */
export async function login(base: string, body: unknown): Promise<Session> {
  const answer = expectStatus(await postToken(base, body), 201);
  const cookies = setCookies(answer);
  const token = answer.body.jwt as string;
  expect(cookies.get("token")?.value).toBe(token);
  const csrf = cookies.get("CSRF")!.value;
  const cookieHeader = `token=${token}; CSRF=${csrf}`;
  return {
    answer,
    token,
    csrf,
    bearer: new Client(base, `Bearer ${token}`),
    cookie: new HeaderClient(base, { Cookie: cookieHeader }),
    cookieCsrf: new HeaderClient(base, { Cookie: cookieHeader, "X-API-CSRF": csrf }),
  };
}
