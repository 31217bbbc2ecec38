import type { ApiErrorBody } from "@corral/api";
import { AppError, createLogger } from "@corral/lib";

const log = createLogger("http");

/** Maps any thrown value to the API's error body; unexpected errors are logged and shown without internals. */
export function errorBody(e: unknown): ApiErrorBody {
  if (e instanceof AppError) {
    return {
      type: "error",
      status: e.status,
      code: e.code,
      message: e.message,
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    };
  }
  log.error("unexpected error", { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return { type: "error", status: 500, code: "ServerError", message: "internal error; see the server log" };
}

/**
 * A JSON Response carrying an error body, with Retry-After when the error says how long to wait. A
 * 413 also closes the connection: otherwise Bun reads the rest of the refused body (500 MB took 12 s)
 * to keep the connection for the next request.
 */
export function errorResponse(e: unknown): Response {
  const body = errorBody(e);
  const headers: Record<string, string> = {};
  if (body.status === 401) headers["WWW-Authenticate"] = 'Basic realm="corral"';
  if (body.status === 413) headers.Connection = "close";
  const wait = (body.detail as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof wait === "number") headers["Retry-After"] = String(wait);
  return Response.json(body, { status: body.status, headers });
}
