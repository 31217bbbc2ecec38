import { sprintf } from "./printf.ts";
import { sprigFuncs } from "./sprig.ts";
import { isMap, isTrue, sprint, sprintln, typeName } from "./values.ts";

/**
 * How a parameter is checked before a call, as Go's reflection would: `string`/`int`/`bool` refuse
 * other types and the missing-key value; `any` turns the missing-key value into nil; `value` passes
 * it through (comparisons and `index` see it as it is).
 */
export type ParamType = "any" | "string" | "int" | "bool" | "value";

/** A template function: its fixed parameters, an optional variadic tail, and the code. */
export interface FuncDef {
  params: ParamType[];
  variadic?: ParamType;
  /** `and`/`or`: arguments evaluated only as far as needed. */
  lazy?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each function knows its checked argument types
  fn: (...args: any[]) => unknown;
}

type Kind = "invalid" | "bool" | "int" | "float" | "string" | "other";
function kind(v: unknown): Kind {
  if (v === undefined || v === null) return "invalid";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "string";
  return "other";
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new Error("missing argument for comparison");
  const ka = kind(a);
  for (const b of bs) {
    const kb = kind(b);
    if (ka !== kb) {
      if (ka !== "invalid" && kb !== "invalid") throw new Error("incompatible types for comparison");
      continue;
    }
    if (ka === "invalid") return true;
    if (ka === "other") throw new Error(`non-comparable type ${typeName(a)}`);
    if (a === b) return true;
  }
  return false;
}

function less(a: unknown, b: unknown): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (!["int", "float", "string"].includes(ka) || !["int", "float", "string"].includes(kb))
    throw new Error("invalid type for comparison");
  if (ka !== kb) throw new Error("incompatible types for comparison");
  return (a as number | string) < (b as number | string);
}

function len(v: unknown): number {
  if (v === undefined || v === null) throw new Error("len of nil pointer");
  if (typeof v === "string") return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${typeName(v)}`);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === undefined || v === null) throw new Error("index of untyped nil");
    if (Array.isArray(v) || typeof v === "string") {
      if (typeof k !== "number" || !Number.isInteger(k))
        throw new Error(`cannot index slice/array with type ${typeName(k)}`);
      const n = typeof v === "string" ? Buffer.from(v) : v;
      if (k < 0 || k >= n.length) throw new Error(`index out of range: ${k}`);
      v = n[k];
    } else if (isMap(v)) {
      if (typeof k !== "string") throw new Error(`value has type ${typeName(k)}; should be string`);
      v = Object.hasOwn(v, k) ? v[k] : undefined;
    } else throw new Error(`can't index item of type ${typeName(v)}`);
  }
  return v;
}

/** Go's evalArgs for the escapers: one string as is, anything else through fmt.Sprint. */
const text = (args: unknown[]) => (args.length === 1 && typeof args[0] === "string" ? args[0] : sprint(args));

const htmlEsc: Record<string, string> = {
  "<": "&lt;",
  ">": "&gt;",
  "&": "&amp;",
  "'": "&#39;",
  '"': "&#34;",
  "\0": "\uFFFD",
};
const jsEsc: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  '"': '\\"',
  "<": "\\u003C",
  ">": "\\u003E",
  "&": "\\u0026",
  "=": "\\u003D",
};

function js(s: string): string {
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what js escapes
    /[\\'"<>&=\x00-\x1f]/g,
    (c) => jsEsc[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

/** Go's url.QueryEscape: unreserved bytes kept, space as `+`, the rest %XX. */
function urlquery(s: string): string {
  let out = "";
  for (const b of Buffer.from(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Go's built-in template functions. */
const builtins: Record<string, FuncDef> = {
  and: { params: ["value"], variadic: "value", lazy: true, fn: () => undefined },
  or: { params: ["value"], variadic: "value", lazy: true, fn: () => undefined },
  not: { params: ["value"], fn: (v) => !isTrue(v) },
  len: { params: ["value"], fn: len },
  index: { params: ["value"], variadic: "value", fn: index },
  print: { params: [], variadic: "any", fn: (...a) => sprint(a) },
  println: { params: [], variadic: "any", fn: (...a) => sprintln(a) },
  printf: { params: ["string"], variadic: "any", fn: (f, ...a) => sprintf(f, a) },
  html: { params: [], variadic: "any", fn: (...a) => text(a).replace(/[<>&'"\0]/g, (c) => htmlEsc[c]!) },
  js: { params: [], variadic: "any", fn: (...a) => js(text(a)) },
  urlquery: { params: [], variadic: "any", fn: (...a) => urlquery(text(a)) },
  eq: { params: ["value"], variadic: "value", fn: eq },
  ne: { params: ["value", "value"], fn: (a, b) => !eq(a, b) },
  lt: { params: ["value", "value"], fn: less },
  le: { params: ["value", "value"], fn: (a, b) => less(a, b) || eq(a, b) },
  gt: { params: ["value", "value"], fn: (a, b) => !less(a, b) && !eq(a, b) },
  ge: { params: ["value", "value"], fn: (a, b) => !less(a, b) },
};

/** Every function a catalog template may call: Go's built-ins and the Sprig set Rancher shipped. */
export const templateFuncs: ReadonlyMap<string, FuncDef> = new Map(
  Object.entries({ ...sprigFuncs, ...builtins }),
);
