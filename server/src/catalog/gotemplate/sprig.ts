import { createHash, randomInt, randomUUID } from "node:crypto";
import type { FuncDef } from "./funcs.ts";
import { formatValue, goQuote, isTrue } from "./values.ts";

/** Largest string a function may build before the output bound even sees it. */
const maxBuilt = 1 << 20;

/** Sprig's strval: strings as they are, anything else as fmt's `%v`. */
const strval = (v: unknown) => (typeof v === "string" ? v : formatValue(v));

/** spf13/cast's ToInt as Sprig used it: numbers truncated, strings parsed with Go's base prefixes, else 0. */
function toInt(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return 0;
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)$/.exec(v);
  if (!m) return 0;
  const [, sign, body] = m as unknown as [string, string, string];
  const n = /^0[xX]/.test(body)
    ? Number.parseInt(body.slice(2), 16)
    : /^0[bB]/.test(body)
      ? Number.parseInt(body.slice(2), 2)
      : /^0[oO]?[0-7]/.test(body) && body.length > 1
        ? Number.parseInt(body.replace(/^0[oO]?/, ""), 8)
        : Number(body);
  return sign === "-" ? -n : n;
}

function toFloat(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : 0;
  return Number.isNaN(n) ? 0 : n;
}

function sized(n: number): number {
  if (n > maxBuilt) throw new Error(`result larger than ${maxBuilt} characters`);
  return n;
}

/** Go's strings.Title: the first letter after a separator upper-cased. */
function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const ch of s) {
    const sep = /[\p{L}\p{Nd}_]/u.test(prev) ? false : prev.charCodeAt(0) <= 0x7f || /\s/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** Go's strings.Split: an empty separator splits into characters. */
const goSplit = (s: string, sep: string) => (sep === "" ? [...s] : s.split(sep));

function b64dec(s: string): string {
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  const padAt = s.indexOf("=");
  const badAt = bad ? bad.index : padAt >= 0 && !/^={1,2}$/.test(s.slice(padAt)) ? padAt : -1;
  if (badAt >= 0) return `illegal base64 data at input byte ${badAt}`;
  if (s.length % 4 !== 0) return `illegal base64 data at input byte ${s.length - (s.length % 4)}`;
  return Buffer.from(s, "base64").toString("utf8");
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function random(n: number, chars: string): string {
  let out = "";
  for (let i = 0; i < sized(Math.max(0, n)); i++) out += chars[randomInt(chars.length)];
  return out;
}

function indent(n: number, s: string): string {
  const pad = " ".repeat(sized(Math.max(0, n)));
  sized(s.length + (s.split("\n").length - 1) * pad.length);
  return pad + s.replaceAll("\n", `\n${pad}`);
}

/** Split on whitespace outside single or double quotes, keeping the quotes (Rancher's addition). */
function splitPreserveQuotes(s: string): string[] {
  return s.match(/(?:"[^"]*"|'[^']*'|[^\s"'])+/g) ?? [];
}

const arith = (f: (a: number, b: number) => number): FuncDef => ({
  params: ["any", "any"],
  fn: (a: unknown, b: unknown) => f(toInt(a), toInt(b)),
});

/** The Sprig functions of Rancher 1.6's catalog (arguments in Sprig's order: the subject last). */
export const sprigFuncs: Record<string, FuncDef> = {
  default: {
    params: ["any"],
    variadic: "any",
    fn: (d, ...g) => (g.length === 0 || !isTrue(g[0]) ? d : g[0]),
  },
  empty: { params: ["any"], fn: (v) => !isTrue(v) },
  quote: { params: [], variadic: "any", fn: (...a) => a.map((v) => goQuote(strval(v))).join(" ") },
  squote: { params: [], variadic: "any", fn: (...a) => a.map((v) => `'${strval(v)}'`).join(" ") },
  upper: { params: ["string"], fn: (s: string) => s.toUpperCase() },
  lower: { params: ["string"], fn: (s: string) => s.toLowerCase() },
  title: { params: ["string"], fn: title },
  trim: { params: ["string"], fn: (s: string) => s.trim() },
  trimAll: { params: ["string", "string"], fn: (c: string, s: string) => trimSet(s, c) },
  trimPrefix: {
    params: ["string", "string"],
    fn: (p: string, s: string) => (s.startsWith(p) ? s.slice(p.length) : s),
  },
  trimSuffix: {
    params: ["string", "string"],
    fn: (x: string, s: string) => (x && s.endsWith(x) ? s.slice(0, s.length - x.length) : s),
  },
  nospace: { params: ["string"], fn: (s: string) => s.replace(/\s+/gu, "") },
  trunc: {
    params: ["int", "string"],
    fn: (n: number, s: string) => (s.length > n ? s.slice(0, Math.max(0, n)) : s),
  },
  substr: {
    params: ["int", "int", "string"],
    fn: (a: number, b: number, s: string) =>
      a < 0 ? s.slice(0, b) : b < 0 || b > s.length ? s.slice(a) : s.slice(a, b),
  },
  replace: {
    params: ["string", "string", "string"],
    fn: (o: string, n: string, s: string) => replaceAll(s, o, n),
  },
  contains: { params: ["string", "string"], fn: (sub: string, s: string) => s.includes(sub) },
  hasPrefix: { params: ["string", "string"], fn: (p: string, s: string) => s.startsWith(p) },
  hasSuffix: { params: ["string", "string"], fn: (p: string, s: string) => s.endsWith(p) },
  split: {
    params: ["string", "string"],
    fn: (sep: string, s: string) => Object.fromEntries(goSplit(s, sep).map((p, i) => [`_${i}`, p])),
  },
  splitList: { params: ["string", "string"], fn: (sep: string, s: string) => goSplit(s, sep) },
  splitPreserveQuotes: { params: ["string"], fn: splitPreserveQuotes },
  join: {
    params: ["string", "any"],
    fn: (sep: string, v: unknown) => (Array.isArray(v) ? v.map(strval) : [strval(v)]).join(sep),
  },
  atoi: { params: ["string"], fn: (s: string) => (/^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : 0) },
  int: { params: ["any"], fn: toInt },
  int64: { params: ["any"], fn: toInt },
  float64: { params: ["any"], fn: toFloat },
  ternary: { params: ["any", "any", "bool"], fn: (a, b, t: boolean) => (t ? a : b) },
  repeat: { params: ["int", "string"], fn: repeat },
  b64enc: { params: ["string"], fn: (s: string) => Buffer.from(s).toString("base64") },
  b64dec: { params: ["string"], fn: b64dec },
  sha256sum: { params: ["string"], fn: (s: string) => createHash("sha256").update(s).digest("hex") },
  uuidv4: { params: [], fn: () => randomUUID() },
  randAlphaNum: { params: ["int"], fn: (n: number) => random(n, alnum) },
  randAlpha: { params: ["int"], fn: (n: number) => random(n, alnum.slice(0, 52)) },
  randNumeric: { params: ["int"], fn: (n: number) => random(n, alnum.slice(52)) },
  indent: { params: ["int", "string"], fn: indent },
  nindent: { params: ["int", "string"], fn: (n: number, s: string) => `\n${indent(n, s)}` },
  add: { params: [], variadic: "any", fn: (...a) => a.reduce((s: number, v) => s + toInt(v), 0) },
  add1: { params: ["any"], fn: (v) => toInt(v) + 1 },
  sub: arith((a, b) => a - b),
  mul: { params: ["any"], variadic: "any", fn: (...a) => a.reduce((s: number, v) => s * toInt(v), 1) },
  div: arith((a, b) => {
    if (b === 0) throw new Error("integer divide by zero");
    return Math.trunc(a / b);
  }),
  mod: arith((a, b) => {
    if (b === 0) throw new Error("integer divide by zero");
    return a % b;
  }),
  max: { params: ["any"], variadic: "any", fn: (...a) => Math.max(...a.map(toInt)) },
  min: { params: ["any"], variadic: "any", fn: (...a) => Math.min(...a.map(toInt)) },
  list: { params: [], variadic: "any", fn: (...a) => a },
  dict: {
    params: [],
    variadic: "any",
    fn: (...a) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < a.length; i += 2) out[strval(a[i])] = i + 1 < a.length ? a[i + 1] : "";
      return out;
    },
  },
  // The server's environment is not the template's business: `env` reads as unset.
  env: { params: ["string"], fn: () => "" },
};

// A key named toString in an object literal is typed as Object's own method: set it apart.
sprigFuncs["toString" as string] = { params: ["any"], fn: strval };

function repeat(n: number, s: string): string {
  sized(Math.max(0, n) * s.length);
  return s.repeat(Math.max(0, n));
}

function replaceAll(s: string, o: string, n: string): string {
  if (o === "") return [...s].reduce((acc, ch) => acc + ch + n, n);
  return s.split(o).join(n);
}

function trimSet(s: string, cut: string): string {
  const set = new Set(cut);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a]!)) a++;
  while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join("");
}
