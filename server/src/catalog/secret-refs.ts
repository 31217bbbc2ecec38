// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the files keep ${VAR} references to password answers
import { randomBytes } from "node:crypto";
import { AppError } from "@corral/lib";
import { renderTemplate, TemplateError } from "./gotemplate/index.ts";

/** Names a `${NAME}` reference can stand for (compose interpolation's variable names). */
const referenceName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A refusal of a template the password answers cannot be kept out of. */
function refuse(file: string, message: string): AppError {
  return new AppError("InvalidOption", `${file}: ${message}`, { detail: { field: "answers" } });
}

/**
 * Renders a catalog `.tpl` file so that the text kept on the stack never holds a password answer:
 * each (non-empty) password answer is inserted as a `${name}` reference, which the compose parser
 * resolves from the stack's answers when it builds the services, exactly as in a plain file. The
 * references are checked to stand for the real values: the file is rendered once with the values
 * and once with a marker for each password, and the markers put back must give the same text.
 *
 * A template that does more with a password than insert it as it is (compares it with `eq`, measures
 * it with `len`, changes it with `upper`, `b64enc`, `quote` of a value needing escapes...) gives a
 * different text; it is refused with a 4xx naming the answer rather than rendered in clear, as a
 * password answer is never written where the API shows it. So is a password whose variable name a
 * `${...}` reference cannot spell (one with `.` or `-`) when the file inserts it.
 */
export function renderWithSecretRefs(
  file: string,
  source: string,
  values: Record<string, string>,
  secrets: ReadonlySet<string>,
  stackName: string,
): string {
  const render = (vals: Record<string, string>) =>
    renderTemplate(file, source, { Values: vals, Stack: { Name: stackName } });
  const real = render(values);
  // An empty answer has nothing to hide; a marker would also change its truthiness.
  const hidden = [...secrets].filter((k) => (values[k] ?? "") !== "");
  if (hidden.length === 0) return real;
  // Letters and digits only: untouched by quoting, trimming and indenting, and unique to this render.
  const nonce = randomBytes(9).toString("hex");
  const markers = new Map(hidden.map((k, i) => [k, `CorralSecret${nonce}x${i}x`]));
  const masked = (only?: string) => {
    const vals = { ...values };
    for (const [k, m] of markers) if (!only || k === only) vals[k] = m;
    try {
      return render(vals);
    } catch (e) {
      if (e instanceof TemplateError) return undefined;
      throw e;
    }
  };
  const withMarkers = masked();
  const restore = (text: string | undefined, only?: string) => {
    let out = text;
    for (const [k, m] of markers)
      if (out !== undefined && (!only || k === only)) out = out.replaceAll(m, values[k]!);
    return out;
  };
  if (withMarkers === undefined || restore(withMarkers) !== real) {
    const found = hidden.filter((k) => restore(masked(k), k) !== real);
    const named = found.length > 0 ? found : hidden;
    const one = named.length === 1;
    throw refuse(
      file,
      `the password answer${one ? "" : "s"} ${named.join(", ")} ${one ? "is" : "are"} used other than ` +
        "inserted as it is (compared, measured or changed by a function); a password answer is never " +
        "written into the stack's files, so this template cannot take it",
    );
  }
  let out = withMarkers;
  for (const [k, m] of markers) {
    if (!out.includes(m)) continue;
    if (!referenceName.test(k))
      throw refuse(
        file,
        `the password answer ${k} cannot be inserted as a \${${k}} reference (use letters, digits and _ in its name)`,
      );
    out = out.replaceAll(m, `\${${k}}`);
  }
  return out;
}

/**
 * Replaces password answers found in string values under `node` by `refer(name)` (for a stack's
 * export). A value of 4 characters or more is replaced wherever it appears in a string; a shorter
 * one only where it is a whole string, so a password like `ab` does not rewrite every `ab` of the
 * files. Object keys and `name` fields are left alone: they become YAML keys, which interpolation
 * does not reach.
 */
export function referSecrets<T>(
  node: T,
  secrets: Record<string, string>,
  refer: (name: string) => string,
): T {
  const pairs = Object.entries(secrets)
    .filter(([, v]) => v !== "")
    .sort((a, b) => b[1].length - a[1].length);
  if (pairs.length === 0) return node;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      let out = v;
      for (const [k, secret] of pairs) {
        if (out === secret) return refer(k);
        if (secret.length >= 4) out = out.replaceAll(secret, refer(k));
      }
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v).map(([key, item]) => [key, key === "name" ? item : walk(item)]),
      );
    return v;
  };
  return walk(node) as T;
}
