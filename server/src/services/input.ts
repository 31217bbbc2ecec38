import { AppError } from "@corral/lib";
import type { z } from "zod";

/**
 * Validates a request body with a zod schema; failures become InvalidFormat / MissingRequired errors
 * naming each bad field, so a client sees every problem at once.
 */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new AppError("InvalidBodyContent", "the body must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.join("."),
    code: i.code,
    message: i.message,
    ...("keys" in i ? { keys: i.keys } : {}),
  }));
  const missing = result.error.issues.every((i) => i.code === "invalid_type" && i.input === undefined);
  const first = issues[0]!;
  const where = first.field ? `${first.field}: ` : "";
  const what = "keys" in first ? `unknown field(s) ${(first.keys as string[]).join(", ")}` : first.message;
  throw new AppError(missing ? "MissingRequired" : "InvalidFormat", `${where}${what}`, { detail: issues });
}
