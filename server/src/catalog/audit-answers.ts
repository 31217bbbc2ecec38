import type { StackFields } from "../model/service.ts";
import type { VerbContext } from "../services/context.ts";
import { parseQuestions, secretVariables } from "./questions.ts";
import { parseExternalId } from "./stack-upgrades.ts";

/**
 * A stack request body as its audit row keeps it: the answers to password questions (in `answers`
 * or `environment`, where the rancher CLI sends them) become "<redacted>", whatever their variable
 * is called. The questions are those of the version the body names or the stack is on, and the
 * stack's kept passwords; when a named catalog version cannot be read (the request was refused for
 * it), every answer is redacted, as nothing says which ones are passwords.
 */
export function auditStackBody(ctx: VerbContext, body: unknown, stackId?: string): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if (!isMap(b.answers) && !isMap(b.environment)) return body;
  const names = new Set<string>();
  const ids: unknown[] = [b.externalId];
  const stack = stackId ? ctx.store.getByPublicId<StackFields>("stack", stackId) : undefined;
  if (stack) {
    ids.push(stack.data.externalId);
    for (const k of Object.keys(stack.data.secretAnswers ?? {})) names.add(k);
  }
  let all = false;
  for (const id of ids) {
    if (typeof id !== "string" || !id.startsWith("catalog://")) continue;
    const ref = parseExternalId(id);
    const version = ref
      ? ctx.catalogs?.template(ref.catalog, ref.folder)?.versions.find((v) => v.revision === ref.revision)
      : undefined;
    if (!version) {
      all = true;
      continue;
    }
    for (const v of secretVariables(parseQuestions(version.questions).questions)) names.add(v);
  }
  const redact = (m: unknown) =>
    isMap(m)
      ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, all || names.has(k) ? "<redacted>" : v]))
      : m;
  return {
    ...b,
    ...("answers" in b ? { answers: redact(b.answers) } : {}),
    ...("environment" in b ? { environment: redact(b.environment) } : {}),
  };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return Boolean(v) && typeof v === "object" && !Array.isArray(v);
}
