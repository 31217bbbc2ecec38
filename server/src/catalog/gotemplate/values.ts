/**
 * Go's view of template data. JavaScript values stand for Go's: `undefined` is the invalid value a
 * missing map key gives (printed `<no value>`), `null` is nil, integral numbers are ints, other
 * numbers float64, arrays `[]interface {}` and plain objects `map[string]interface {}`.
 */

/** A plain object used as a Go map. */
export type GoMap = Record<string, unknown>;

/** Whether a value is a Go map (a plain object). */
export function isMap(v: unknown): v is GoMap {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's type name of a value, as error messages print it. */
export function typeName(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Go's template truth: false, 0, "", nil, and empty maps and slices are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Map keys in the order Go ranges over and prints them (sorted). */
export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A float64 as Go's `%v` prints it: shortest digits, exponent form below 1e-4 or from 1e6 (Go's `%g`). */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mant, e] = f.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(f);
}

/** A value as Go's fmt `%v` prints it (`<nil>`, `map[a:1 b:2]`, `[x y]`). */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : formatFloat(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return `[${v.map(formatValue).join(" ")}]`;
  if (isMap(v))
    return `map[${sortedKeys(v)
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(" ")}]`;
  return String(v);
}

/** Go's fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a);
  });
  return out;
}

/** Go's fmt.Sprintln: spaces between all operands and a final newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(" ")}\n`;
}

/** Go's strconv.Quote: a double-quoted string with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (c > 0x7f && /\p{Zs}/u.test(ch) && c !== 0xa0))
      out += c > 0xffff ? `\\U${c.toString(16).padStart(8, "0")}` : `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
