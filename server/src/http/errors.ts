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

/** A JSON Response carrying an error body (with Retry-After when the error says how long to wait). */
export function errorResponse(e: unknown): Response {
  const body = errorBody(e);
  const headers: Record<string, string> =
    body.status === 401 ? { "WWW-Authenticate": 'Basic realm="corral"' } : {};
  const wait = (body.detail as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof wait === "number") headers["Retry-After"] = String(wait);
  return Response.json(body, { status: body.status, headers });
}
