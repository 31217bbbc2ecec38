/** The answers of a launch or upgrade form: first values and what is sent (pure, tested without a browser). */
import type { Question } from "./api.ts";

/** The first answers of a form: each question's default, over what is kept (an upgrade). */
export function initialAnswers(
  questions: Question[],
  kept: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const q of questions) {
    if (q.type === "password") out[q.variable] = "";
    else out[q.variable] = kept[q.variable] ?? q.default ?? (q.type === "boolean" ? "false" : "");
  }
  return out;
}

/** The answers to send: as typed; an empty password on an upgrade is left out (the kept one stays). */
export function answersToSend(
  questions: Question[],
  answers: Record<string, string>,
  keepPasswords: boolean,
) {
  const out: Record<string, string> = {};
  for (const q of questions) {
    const v = answers[q.variable] ?? "";
    if (q.type === "password" && keepPasswords && v === "") continue;
    out[q.variable] = v;
  }
  return out;
}
