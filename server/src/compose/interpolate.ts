import type { FileReporter } from "./issues.ts";
import type { YNode, YScalar } from "./yaml-tree.ts";

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/**
 * Longest value interpolation may produce: Linux's MAX_ARG_STRLEN (32 pages), the longest single
 * argument or environment string execve accepts, so a longer command word or variable could never
 * reach a container anyway.
 */
export const maxInterpolatedValueBytes = 128 * 1024;
/**
 * Most that interpolated values of one file may add up to: the size a compose file may have
 * (`maxFileBytes`), so a 400 KB file repeating `${V}` cannot become gigabytes.
 */
export const maxInterpolatedFileBytes = 1024 * 1024;
/** Deepest `${A:-${B:-...}}` nesting: defaults are expanded recursively, and the stack is finite. */
export const maxInterpolationDepth = 16;

const nameRe = /[A-Za-z_][A-Za-z0-9_]*/y;

/** What one file's interpolation may still produce; shared by every value of the file. */
export interface Budget {
  fileLeft: number;
}

/** Thrown inside one value's expansion once it passes a bound; reported once at that value. */
class Overflow extends Error {}

/**
 * Substitutes `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
 * `${VAR:+alt}`, `${VAR+alt}` and the `$$` escape in every string value (keys are left alone, as
 * compose does). Unset variables become "" with a warning, like compose. One call covers one file:
 * each value may expand to at most {@link maxInterpolatedValueBytes} and the file's interpolated
 * values to {@link maxInterpolatedFileBytes} together; past either, the value is reported at its
 * `file:line:column` and the rest of the file is left as written.
 */
export function interpolateTree(node: YNode, lookup: Lookup, r: FileReporter): YNode {
  return walk(node, lookup, r, { fileLeft: maxInterpolatedFileBytes });
}

function walk(node: YNode, lookup: Lookup, r: FileReporter, budget: Budget): YNode {
  if (node.kind === "scalar") {
    if (typeof node.value !== "string" || !node.value.includes("$")) return node;
    // Once the file is over its bound, one error is enough: no more expanding.
    if (budget.fileLeft < 0) return node;
    return { ...node, value: interpolateString(node.value, lookup, r, node, budget) };
  }
  if (node.kind === "seq") return { ...node, items: node.items.map((it) => walk(it, lookup, r, budget)) };
  return {
    ...node,
    entries: node.entries.map((e) => ({ ...e, value: walk(e.value, lookup, r, budget) })),
  };
}

/**
 * Interpolates one string; `at` is where problems are reported. `budget` is the file's (a fresh
 * one when the string stands alone).
 */
export function interpolateString(
  text: string,
  lookup: Lookup,
  r: FileReporter,
  at: YScalar,
  budget: Budget = { fileLeft: maxInterpolatedFileBytes },
): string {
  const limit = Math.min(maxInterpolatedValueBytes, budget.fileLeft);
  const x = new Expansion(text, lookup, r, at, limit);
  try {
    const out = x.expand(0, 0).out;
    budget.fileLeft -= out.length;
    return out;
  } catch (e) {
    if (!(e instanceof Overflow)) throw e;
    if (limit < maxInterpolatedValueBytes) {
      budget.fileLeft = -1;
      r.error(
        at,
        `interpolation makes this file's values larger than ${maxInterpolatedFileBytes} bytes in all; refused`,
      );
    } else {
      r.error(at, `this value expands to more than ${maxInterpolatedValueBytes} bytes; refused`);
    }
    return "";
  }
}

/** A short, quoted excerpt of a value for messages: the whole of a huge value would be the message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** One value being expanded, with the bound its output must stay under. */
class Expansion {
  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
    private readonly r: FileReporter,
    private readonly at: YScalar,
    private readonly limit: number,
  ) {}

  private grow(out: string, more: string): string {
    if (out.length + more.length > this.limit) throw new Overflow();
    return out + more;
  }

  /**
   * Expands from `i`; when `depth > 0` it stops at the `}` that closes the enclosing `${`, so
   * defaults may themselves contain `${OTHER}` as the compose specification allows.
   */
  expand(i: number, depth: number): { out: string; end: number } {
    const text = this.text;
    let out = "";
    while (i < text.length) {
      // Copy the plain run up to the next `$` (or closing brace) in one step.
      const dollar = text.indexOf("$", i);
      const close = depth > 0 ? text.indexOf("}", i) : -1;
      const stop = Math.min(dollar === -1 ? text.length : dollar, close === -1 ? text.length : close);
      if (stop > i) {
        out = this.grow(out, text.slice(i, stop));
        i = stop;
        continue;
      }
      if (text[i] === "}") return { out, end: i };
      const next = text[i + 1];
      if (next === "$") {
        out = this.grow(out, "$");
        i += 2;
        continue;
      }
      if (next === "{") {
        const res = this.braced(i + 2, depth + 1);
        out = this.grow(out, res.out);
        i = res.end;
        continue;
      }
      const name = this.nameAt(i + 1);
      if (!name) {
        this.r.error(
          this.at,
          `invalid interpolation format: ${quote(text)} ($ must be followed by a name or {; write $$ for a $)`,
        );
        return { out, end: text.length };
      }
      out = this.grow(out, this.resolve(name));
      i += 1 + name.length;
    }
    if (depth > 0) this.r.error(this.at, `invalid interpolation format: ${quote(text)} (unclosed \${)`);
    return { out, end: i };
  }

  private nameAt(i: number): string | undefined {
    nameRe.lastIndex = i;
    return nameRe.exec(this.text)?.[0];
  }

  /** Handles the text after `${`; returns the index after the closing brace. */
  private braced(i: number, depth: number): { out: string; end: number } {
    const text = this.text;
    const name = this.nameAt(i);
    if (!name) {
      this.r.error(
        this.at,
        `invalid interpolation format: ${quote(text)} (expected a variable name after \${)`,
      );
      return { out: "", end: text.length };
    }
    i += name.length;
    const op = /^(:-|:\?|:\+|-|\?|\+)/.exec(text.slice(i, i + 2))?.[0];
    if (!op) {
      if (text[i] !== "}") {
        this.r.error(
          this.at,
          `invalid interpolation format: ${quote(text)} (unexpected "${text[i] ?? "end"}" in \${${name}...})`,
        );
        return { out: "", end: text.length };
      }
      return { out: this.resolve(name), end: i + 1 };
    }
    if (depth > maxInterpolationDepth) {
      this.r.error(this.at, `interpolation nested deeper than ${maxInterpolationDepth} levels`);
      return { out: "", end: text.length };
    }
    // The argument is expanded lazily in compose; expanding eagerly only differs in warnings.
    const arg = this.expand(i + op.length, depth);
    const end = arg.end + 1;
    const value = this.lookup(name);
    const colon = op.startsWith(":");
    const missing = value === undefined || (colon && value === "");
    switch (op.at(-1)) {
      case "-":
        return { out: missing ? arg.out : (value ?? ""), end };
      case "+":
        return { out: missing ? "" : arg.out, end };
      default:
        if (missing) {
          this.r.error(
            this.at,
            `required variable ${name} is ${value === undefined ? "not set" : "empty"}: ${arg.out.slice(0, 200)}`,
          );
          return { out: "", end };
        }
        return { out: value ?? "", end };
    }
  }

  private resolve(name: string): string {
    const value = this.lookup(name);
    if (value === undefined) {
      this.r.warn(this.at, `variable ${name} is not set; substituting an empty string`);
      return "";
    }
    return value;
  }
}
