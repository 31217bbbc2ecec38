import { z } from "zod";

/** The question types of Rancher 1.6 catalogs. */
export const questionTypes = [
  "string",
  "int",
  "boolean",
  "enum",
  "password",
  "multiline",
  "service",
  "certificate",
  "date",
  "float",
] as const;

/** One question type. */
export type QuestionType = (typeof questionTypes)[number];

// YAML gives `default: 80` or `required: "true"`; Rancher read them into Go strings and bools.
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const number = z.union([
  z.number(),
  z
    .string()
    .regex(/^[+-]?\d+(\.\d+)?$/)
    .transform(Number),
]);
const count = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]);
// Rancher's form put these inside `[...]`; a bare `[` or `]` would break out of the class.
const charClass = z.string().refine(
  (s) => {
    if (/(^|[^\\])(\\\\)*[[\]]/.test(s)) return false;
    try {
      new RegExp(`[${s}]`);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be the inside of a regular-expression character class, like a-z0-9_" },
);

/** One entry of `.catalog.questions` in a template version's rancher-compose.yml. */
export const questionSchema = z
  .object({
    variable: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a variable name (letters, digits, _ . -)"),
    label: scalar.optional(),
    description: scalar.optional(),
    type: z.enum(questionTypes, { error: `must be one of ${questionTypes.join(", ")}` }).default("string"),
    required: flag.default(false),
    default: scalar.nullish().transform((v) => v ?? undefined),
    group: scalar.optional(),
    options: z.array(scalar).optional(),
    min: number.optional(),
    max: number.optional(),
    min_length: count.optional(),
    max_length: count.optional(),
    valid_chars: charClass.optional(),
    invalid_chars: charClass.optional(),
  })
  .refine((q) => q.type !== "enum" || (q.options?.length ?? 0) > 0, {
    message: "an enum question needs options",
    path: ["options"],
  });

/** A parsed catalog question. */
export type Question = z.infer<typeof questionSchema>;

/** What {@link parseQuestions} found: the good questions and one message per bad one. */
export interface ParsedQuestions {
  questions: Question[];
  errors: string[];
}

/**
 * Parses a `.catalog.questions` value (plain data from YAML). A bad question is reported by its
 * index and variable and left out; the others still parse, so one mistake never hides the rest.
 */
export function parseQuestions(raw: unknown): ParsedQuestions {
  if (raw === undefined || raw === null) return { questions: [], errors: [] };
  if (!Array.isArray(raw)) return { questions: [], errors: ["questions: must be a list"] };
  const questions: Question[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const r = questionSchema.safeParse(item);
    const name = typeof item === "object" && item && "variable" in item ? ` (${String(item.variable)})` : "";
    if (!r.success) {
      for (const issue of r.error.issues)
        errors.push(
          `questions[${i}]${name}${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`,
        );
      return;
    }
    if (seen.has(r.data.variable)) {
      errors.push(`questions[${i}]${name}: variable asked twice`);
      return;
    }
    seen.add(r.data.variable);
    questions.push(r.data);
  });
  return { questions, errors };
}

const looseQuestion = z.object({ variable: scalar, default: scalar.nullish() });

/**
 * Defaults of `.catalog.questions` for `${VAR}` of a plain stack. Lenient as Rancher's stack
 * loader was: any entry with a variable and a default counts, whatever else it says.
 */
export function questionDefaults(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(raw) ? raw : []) {
    const r = looseQuestion.safeParse(item);
    if (r.success && r.data.default !== undefined && r.data.default !== null)
      out[r.data.variable] = r.data.default;
  }
  return out;
}

/** What a launch offers to `service` and `certificate` questions: names in this environment. */
export interface AnswerContext {
  serviceNames: string[];
  certificateNames: string[];
}

/** One answer that does not fit its question. */
export interface AnswerError {
  variable: string;
  message: string;
}

/**
 * Checks answers against questions the way Rancher's form did, server-side: defaults fill what is
 * not answered, every value becomes the string templates and `${VAR}` get, and each question that
 * fails gets one clear message. Answers to variables no question asks pass through as strings.
 */
export function validateAnswers(
  questions: Question[],
  answers: Record<string, unknown>,
  ctx: AnswerContext,
): { values: Record<string, string>; errors: AnswerError[] } {
  const values: Record<string, string> = {};
  const errors: AnswerError[] = [];
  const asked = new Set(questions.map((q) => q.variable));
  for (const [variable, raw] of Object.entries(answers)) {
    if (asked.has(variable) || raw === undefined || raw === null) continue;
    const v = asString(raw);
    if (v === undefined)
      errors.push({ variable, message: `must be a string, a number or a boolean, not ${kind(raw)}` });
    else values[variable] = v;
  }
  for (const q of questions) {
    const raw = Object.hasOwn(answers, q.variable) ? answers[q.variable] : undefined;
    let value = raw === undefined || raw === null ? q.default : asString(raw);
    if (value === undefined && raw !== undefined && raw !== null) {
      errors.push({
        variable: q.variable,
        message: `must be a string, a number or a boolean, not ${kind(raw)}`,
      });
      continue;
    }
    if (q.type === "boolean" && value !== undefined) value = value.toLowerCase();
    if (value === undefined || value === "") {
      if (q.required) errors.push({ variable: q.variable, message: `${describe(q)} is required` });
      else if (value !== undefined) values[q.variable] = value;
      continue;
    }
    const problem = check(q, value, ctx);
    if (problem) errors.push({ variable: q.variable, message: `${describe(q)} ${problem}` });
    else values[q.variable] = value;
  }
  return { values, errors };
}

function describe(q: Question): string {
  return q.label ? `${q.label} (${q.variable})` : q.variable;
}

function kind(v: unknown): string {
  return Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v;
}

/** The string a template gets for an answer (numbers as written, booleans as true/false). */
function asString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) return String(v);
  return undefined;
}

const intRe = /^[+-]?\d+$/;
const floatRe = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const dateRe =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** What is wrong with a non-empty value, or undefined when it fits. */
function check(q: Question, v: string, ctx: AnswerContext): string | undefined {
  switch (q.type) {
    case "int":
    case "float": {
      const ok = q.type === "int" ? intRe.test(v) : floatRe.test(v);
      if (!ok) return `must be ${q.type === "int" ? "a whole number" : "a number"}, got ${JSON.stringify(v)}`;
      const n = Number(v);
      if (q.type === "int" && !Number.isSafeInteger(n)) return `is out of range (${v})`;
      if (q.min !== undefined && n < q.min) return `must be at least ${q.min}, got ${v}`;
      if (q.max !== undefined && n > q.max) return `must be at most ${q.max}, got ${v}`;
      break;
    }
    case "boolean":
      if (v !== "true" && v !== "false") return `must be true or false, got ${JSON.stringify(v)}`;
      break;
    case "enum":
      if (!q.options?.includes(v)) return `must be one of ${q.options?.join(", ")}; got ${JSON.stringify(v)}`;
      break;
    case "service":
      if (!ctx.serviceNames.includes(v)) return `names no service of this environment: ${JSON.stringify(v)}`;
      break;
    case "certificate":
      if (!ctx.certificateNames.includes(v))
        return `names no certificate of this environment: ${JSON.stringify(v)}`;
      break;
    case "date":
      if (!validDate(v))
        return `must be a date like 2017-06-30 or 2017-06-30T12:00:00Z (RFC 3339), got ${JSON.stringify(v)}`;
      break;
  }
  const length = [...v].length;
  if (q.min_length !== undefined && length < q.min_length)
    return `must be at least ${q.min_length} characters long (is ${length})`;
  if (q.max_length !== undefined && length > q.max_length)
    return `must be at most ${q.max_length} characters long (is ${length})`;
  if (q.valid_chars !== undefined) {
    const bad = v.match(new RegExp(`[^${q.valid_chars}]`, "g"));
    if (bad) return `may only contain the characters ${q.valid_chars}; found ${unique(bad)}`;
  }
  if (q.invalid_chars !== undefined) {
    const bad = v.match(new RegExp(`[${q.invalid_chars}]`, "g"));
    if (bad) return `must not contain ${unique(bad)}`;
  }
  return undefined;
}

function unique(chars: string[]): string {
  return [...new Set(chars)].map((c) => JSON.stringify(c)).join(" ");
}

/** An ISO date or RFC 3339 date-time naming a real day and time. */
function validDate(v: string): boolean {
  const m = dateRe.exec(v);
  if (!m) return false;
  const [y, mo, d, h = "0", mi = "0", s = "0"] = m.slice(1).map((x) => x ?? undefined) as string[];
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    day.getUTCFullYear() !== Number(y) ||
    day.getUTCMonth() !== Number(mo) - 1 ||
    day.getUTCDate() !== Number(d)
  )
    return false;
  return Number(h) < 24 && Number(mi) < 60 && Number(s) < 61;
}
