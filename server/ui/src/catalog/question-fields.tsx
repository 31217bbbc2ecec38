/**
 * The fields of a launch or upgrade form, generated from a template version's questions: one input
 * per question type, grouped by `group`, each with its label, description and the server's error
 * for it beside the field.
 */
import type { Signal } from "@preact/signals";
import type { Question } from "./api.ts";

/** What the form knows besides the questions: names to offer, errors to show, kept passwords. */
export interface FieldContext {
  answers: Signal<Record<string, string>>;
  errors: Record<string, string>;
  /** `stack/service` names of this environment, for `service` questions. */
  services: string[];
  /** Certificate names of this environment, for `certificate` questions. */
  certificates: string[];
  /** On an upgrade: password answers are kept by the server and never shown; empty keeps them. */
  keepPasswords?: boolean;
}

const fieldId = (q: Question) => `q-${q.variable.replace(/[^A-Za-z0-9_-]/g, "_")}`;

function Input(props: { q: Question; ctx: FieldContext; describedBy: string | undefined; invalid: boolean }) {
  const { q, ctx } = props;
  const value = ctx.answers.value[q.variable] ?? "";
  const set = (v: string) => {
    ctx.answers.value = { ...ctx.answers.value, [q.variable]: v };
  };
  const common = {
    id: fieldId(q),
    name: q.variable,
    "aria-describedby": props.describedBy,
    "aria-invalid": props.invalid ? ("true" as const) : undefined,
    "aria-required": q.required ? ("true" as const) : undefined,
  };
  const onInput = (e: Event) => set((e.currentTarget as HTMLInputElement).value);
  const choose = (options: string[]) => (
    <select {...common} value={value} onChange={onInput}>
      {!q.required || !value ? <option value="">(none)</option> : null}
      {value && !options.includes(value) ? <option value={value}>{value}</option> : null}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
  switch (q.type) {
    case "boolean":
      return (
        <input
          {...common}
          type="checkbox"
          checked={value === "true"}
          onChange={(e) => set((e.currentTarget as HTMLInputElement).checked ? "true" : "false")}
        />
      );
    case "enum":
      return choose(q.options ?? []);
    case "service":
      return choose(ctx.services);
    case "certificate":
      return choose(ctx.certificates);
    case "multiline":
      return <textarea {...common} rows={4} value={value} onInput={onInput} />;
    case "password":
      return (
        <input
          {...common}
          type="password"
          autoComplete="new-password"
          value={value}
          onInput={onInput}
          placeholder={ctx.keepPasswords ? "unchanged" : undefined}
        />
      );
    case "int":
    case "float":
      // Text, not type=number: the browser would turn a wrong entry into "" and hide the server's check.
      return (
        <input
          {...common}
          type="text"
          inputMode={q.type === "int" ? "numeric" : "decimal"}
          value={value}
          onInput={onInput}
        />
      );
    case "date":
      return <input {...common} type="text" placeholder="2017-06-30" value={value} onInput={onInput} />;
    default:
      return <input {...common} type="text" value={value} onInput={onInput} />;
  }
}

/** What the field accepts, written out (the server checks it; this tells the user beforehand). */
function hint(q: Question, keepPasswords: boolean | undefined): string {
  const parts: string[] = [];
  if (q.description) parts.push(q.description);
  if (q.min !== undefined || q.max !== undefined) parts.push(`from ${q.min ?? "any"} to ${q.max ?? "any"}`);
  if (q.min_length !== undefined || q.max_length !== undefined)
    parts.push(`${q.min_length ?? 0} to ${q.max_length ?? "any"} characters`);
  if (q.valid_chars) parts.push(`only the characters ${q.valid_chars}`);
  if (q.invalid_chars) parts.push(`not the characters ${q.invalid_chars}`);
  if (q.type === "date") parts.push("a date like 2017-06-30 or 2017-06-30T12:00:00Z");
  if (q.type === "password" && keepPasswords) parts.push("leave empty to keep the current password");
  return parts.join("; ");
}

/** One question: label, input, hint and the server's error for it. */
export function QuestionField(props: { q: Question; ctx: FieldContext }) {
  const { q, ctx } = props;
  const id = fieldId(q);
  const help = hint(q, ctx.keepPasswords);
  const error = ctx.errors[q.variable];
  const describedBy =
    [help ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field" data-question={q.variable}>
      <label for={id}>
        {q.label || q.variable}
        {q.required ? <span aria-hidden="true"> *</span> : null}
        {q.required ? <span class="visually-hidden"> (required)</span> : null}
      </label>
      <Input q={q} ctx={ctx} describedBy={describedBy} invalid={Boolean(error)} />
      {help ? (
        <small id={`${id}-help`} class="muted">
          {help}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** Every question, those with a `group` under the group's heading, in the order they are asked. */
export function QuestionFields(props: { questions: Question[]; ctx: FieldContext }) {
  const groups = new Map<string, Question[]>();
  for (const q of props.questions) {
    const g = q.group ?? "";
    groups.set(g, [...(groups.get(g) ?? []), q]);
  }
  return (
    <>
      {[...groups].map(([group, qs]) =>
        group ? (
          <fieldset key={group}>
            <legend>{group}</legend>
            {qs.map((q) => (
              <QuestionField key={q.variable} q={q} ctx={props.ctx} />
            ))}
          </fieldset>
        ) : (
          qs.map((q) => <QuestionField key={q.variable} q={q} ctx={props.ctx} />)
        ),
      )}
    </>
  );
}
