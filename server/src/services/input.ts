import type { ErrorCode } from "@corral/api";
import { AppError } from "@corral/lib";
import type { z } from "zod";

/** Most field problems listed in one answer (a body of 10,000 bad fields is one answer, not 10,000). */
const maxListedIssues = 50;

/**
 * Validates a request body with a zod schema; failures become Rancher's error codes naming each bad
 * field, so a client sees every problem at once: a required field that is absent is
 * MissingRequired, a value not among the allowed ones InvalidOption, anything else present but
 * wrong (type, length, pattern, unknown field) InvalidFormat. The answer's code is the first
 * problem's, absent fields last: a body with a wrong type is not "missing" anything.
 */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new AppError("InvalidBodyContent", "the body must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, maxListedIssues).map((i) => ({
    field: i.path.join("."),
    code: i.code,
    rancherCode: rancherCode(i, body),
    message: i.message.slice(0, 300),
    ...("keys" in i ? { keys: i.keys.slice(0, 20) } : {}),
  }));
  const first = issues.find((i) => i.rancherCode !== "MissingRequired") ?? issues[0]!;
  const where = first.field ? `${first.field}: ` : "";
  const what =
    "keys" in first ? `unknown field(s) ${(first.keys as string[]).join(", ").slice(0, 200)}` : first.message;
  throw new AppError(first.rancherCode, `${where}${what}`.slice(0, 500), { detail: issues });
}

/** The Rancher error code of one zod issue. */
export function rancherCode(issue: z.core.$ZodIssue, body: unknown): ErrorCode {
  if (issue.code === "invalid_type" && !isPresent(body, issue.path)) return "MissingRequired";
  if (issue.code === "invalid_value") return "InvalidOption";
  return "InvalidFormat";
}

/** True when the body has a value at `path`: null counts as absent, as in Rancher's API. */
function isPresent(body: unknown, path: readonly PropertyKey[]): boolean {
  let at: unknown = body;
  for (const key of path) {
    if (at === null || typeof at !== "object") return false;
    if (!Object.hasOwn(at, key)) return false;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at !== undefined && at !== null;
}
