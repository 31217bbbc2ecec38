// What PID 1's control routes share: reading a request body's fields and answering errors.
import { AppError } from "@corral/lib";

/** A request body's text field (required unless `optional`). */
export function bodyText(body: Record<string, unknown>, key: string, optional = false): string | undefined {
  const v = body[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || v === "") throw new AppError("InvalidOption", `${key} must be text`);
  return v;
}

/** The answer to a failed call: the caller's mistakes are 4xx, with their message. */
export function errorAnswer(e: unknown): Response {
  const code = e instanceof AppError ? e.code : undefined;
  const status = code === "NotFound" ? 404 : code === "InvalidOption" ? 422 : 500;
  return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status });
}
