import type { FileReporter } from "./issues.ts";
import type { YNode, YScalar } from "./yaml-tree.ts";

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

const nameRe = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Substitutes `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
 * `${VAR:+alt}`, `${VAR+alt}` and the `$$` escape in every string value (keys are left alone, as
 * compose does). Unset variables become "" with a warning, like compose.
 */
export function interpolateTree(node: YNode, lookup: Lookup, r: FileReporter): YNode {
  if (node.kind === "scalar") {
    if (typeof node.value !== "string" || !node.value.includes("$")) return node;
    return { ...node, value: interpolateString(node.value, lookup, r, node) };
  }
  if (node.kind === "seq") return { ...node, items: node.items.map((it) => interpolateTree(it, lookup, r)) };
  return {
    ...node,
    entries: node.entries.map((e) => ({ ...e, value: interpolateTree(e.value, lookup, r) })),
  };
}

/** Interpolates one string; `at` is where problems are reported. */
export function interpolateString(text: string, lookup: Lookup, r: FileReporter, at: YScalar): string {
  const parsed = expand(text, 0, false, lookup, r, at);
  return parsed.out;
}

/**
 * Expands from `i`; when `nested` it stops at the `}` that closes the enclosing `${`, so defaults
 * may themselves contain `${OTHER}` as the compose specification allows.
 */
function expand(
  text: string,
  i: number,
  nested: boolean,
  lookup: Lookup,
  r: FileReporter,
  at: YScalar,
): { out: string; end: number } {
  let out = "";
  while (i < text.length) {
    const c = text[i];
    if (nested && c === "}") return { out, end: i };
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const res = braced(text, i + 2, lookup, r, at);
      out += res.out;
      i = res.end;
      continue;
    }
    const name = nameRe.exec(text.slice(i + 1))?.[0];
    if (!name) {
      r.error(
        at,
        `invalid interpolation format: "${text}" ($ must be followed by a name or {; write $$ for a $)`,
      );
      return { out, end: text.length };
    }
    out += resolve(name, lookup, r, at);
    i += 1 + name.length;
  }
  if (nested) r.error(at, `invalid interpolation format: "${text}" (unclosed \${)`);
  return { out, end: i };
}

/** Handles the text after `${`; returns the index after the closing brace. */
function braced(
  text: string,
  i: number,
  lookup: Lookup,
  r: FileReporter,
  at: YScalar,
): { out: string; end: number } {
  const name = nameRe.exec(text.slice(i))?.[0];
  if (!name) {
    r.error(at, `invalid interpolation format: "${text}" (expected a variable name after \${)`);
    return { out: "", end: text.length };
  }
  i += name.length;
  const op = /^(:-|:\?|:\+|-|\?|\+)/.exec(text.slice(i))?.[0];
  if (!op) {
    if (text[i] !== "}") {
      r.error(
        at,
        `invalid interpolation format: "${text}" (unexpected "${text[i] ?? "end"}" in \${${name}...})`,
      );
      return { out: "", end: text.length };
    }
    return { out: resolve(name, lookup, r, at), end: i + 1 };
  }
  // The argument is expanded lazily in compose; expanding eagerly only differs in warnings.
  const arg = expand(text, i + op.length, true, lookup, r, at);
  const end = arg.end + 1;
  const value = lookup(name);
  const colon = op.startsWith(":");
  const missing = value === undefined || (colon && value === "");
  switch (op.at(-1)) {
    case "-":
      return { out: missing ? arg.out : (value ?? ""), end };
    case "+":
      return { out: missing ? "" : arg.out, end };
    default:
      if (missing) {
        r.error(at, `required variable ${name} is ${value === undefined ? "not set" : "empty"}: ${arg.out}`);
        return { out: "", end };
      }
      return { out: value ?? "", end };
  }
}

function resolve(name: string, lookup: Lookup, r: FileReporter, at: YScalar): string {
  const value = lookup(name);
  if (value === undefined) {
    r.warn(at, `variable ${name} is not set; substituting an empty string`);
    return "";
  }
  return value;
}
