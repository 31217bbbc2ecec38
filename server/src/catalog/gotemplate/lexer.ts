import type { Source } from "./errors.ts";

/** Kinds of tokens of Go's text/template language. */
export type TokenType =
  | "text"
  | "left"
  | "right"
  | "ident"
  | "keyword"
  | "field"
  | "variable"
  | "string"
  | "number"
  | "char"
  | "bool"
  | "nil"
  | "dot"
  | "pipe"
  | "lparen"
  | "rparen"
  | "declare"
  | "assign"
  | "comma"
  | "eof";

/** One token: `val` is the decoded value for strings and chars, the source text otherwise. */
export interface Token {
  type: TokenType;
  val: string;
  pos: number;
  /** Whitespace came right before it inside an action (operands must be separated by it). */
  space: boolean;
}

const keywords = new Set([
  "block",
  "break",
  "continue",
  "define",
  "else",
  "end",
  "if",
  "range",
  "template",
  "with",
]);
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);
const spaceRun = /^[ \t\r\n]*/;

/**
 * Splits a template into tokens the way Go's lexer does, including `{{- ` / ` -}}` trimming
 * (all spaces, tabs and newlines next to the marker go) and `{{/* comments *\/}}`.
 */
export function lex(src: Source): Token[] {
  const s = src.text;
  const out: Token[] = [];
  let pos = 0;
  let trimNext = false;
  const emit = (type: TokenType, val: string, at: number, space = false) =>
    out.push({ type, val, pos: at, space });
  while (pos < s.length) {
    let open = s.indexOf("{{", pos);
    if (open < 0) open = s.length;
    const trimLeft = open < s.length && s[open + 2] === "-" && isSpace(s[open + 3]);
    let text = s.slice(pos, open);
    if (trimNext) text = text.replace(spaceRun, "");
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, "");
    trimNext = false;
    if (text) emit("text", text, pos);
    if (open >= s.length) break;
    pos = open + 2 + (trimLeft ? 2 : 0);
    if (s.startsWith("/*", pos)) {
      const close = s.indexOf("*/", pos + 2);
      if (close < 0) throw src.error(open, "unclosed comment");
      pos = close + 2;
      const end = rightDelim(s, pos);
      if (!end) throw src.error(open, "comment ends before closing delimiter");
      pos += end.length;
      trimNext = end.trim;
      continue;
    }
    emit("left", "{{", open);
    const r = lexAction(src, pos, open, out);
    pos = r.pos;
    trimNext = r.trim;
  }
  emit("eof", "", s.length);
  return out;
}

/** A closing delimiter at pos: `}}` or ` -}}` (which trims what follows). */
function rightDelim(s: string, pos: number): { length: number; trim: boolean } | undefined {
  if (isSpace(s[pos]) && s[pos + 1] === "-" && s.startsWith("}}", pos + 2)) return { length: 4, trim: true };
  if (s.startsWith("}}", pos)) return { length: 2, trim: false };
  return undefined;
}

/** Tokens of one action, up to and including its closing delimiter. */
function lexAction(src: Source, start: number, open: number, out: Token[]): { pos: number; trim: boolean } {
  const s = src.text;
  let pos = start;
  let depth = 0;
  let space = false;
  const emit = (type: TokenType, val: string, at: number) => {
    out.push({ type, val, pos: at, space });
    space = false;
  };
  for (;;) {
    const end = rightDelim(s, pos);
    if (end) {
      if (depth > 0) throw src.error(pos, "unclosed left paren");
      emit("right", "}}", pos);
      return { pos: pos + end.length, trim: end.trim };
    }
    const c = s[pos];
    if (c === undefined) throw src.error(open, "unclosed action");
    const at = pos;
    if (isSpace(c)) {
      while (isSpace(s[pos]) && !rightDelim(s, pos)) pos++;
      space = true;
      continue;
    }
    if (c === ":") {
      if (s[pos + 1] !== "=") throw src.error(pos, "expected :=");
      emit("declare", ":=", at);
      pos += 2;
    } else if (c === "=") {
      emit("assign", "=", at);
      pos++;
    } else if (c === "|") {
      emit("pipe", "|", at);
      pos++;
    } else if (c === ",") {
      emit("comma", ",", at);
      pos++;
    } else if (c === "(") {
      depth++;
      emit("lparen", "(", at);
      pos++;
    } else if (c === ")") {
      if (--depth < 0) throw src.error(pos, "unexpected right paren");
      emit("rparen", ")", at);
      pos++;
    } else if (c === '"' || c === "'") {
      const q = quoted(src, pos, c);
      emit(c === '"' ? "string" : "char", q.val, at);
      pos = q.end;
    } else if (c === "`") {
      const close = s.indexOf("`", pos + 1);
      if (close < 0) throw src.error(pos, "unterminated raw quoted string");
      emit("string", s.slice(pos + 1, close).replaceAll("\r", ""), at);
      pos = close + 1;
    } else if (c === "$" || (c === "." && !/[0-9]/.test(s[pos + 1] ?? ""))) {
      pos++;
      while (isAlnum(s[pos])) pos++;
      const word = s.slice(at, pos);
      emit(c === "$" ? "variable" : word === "." ? "dot" : "field", word, at);
      checkTerminator(src, pos);
    } else if (/[0-9+\-.]/.test(c)) {
      const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(
        s.slice(pos, pos + 100),
      )!;
      pos += m[0].length;
      if (!/\d/.test(m[0]) || isAlnum(s[pos]) || s[pos] === ".")
        throw src.error(at, `bad number syntax: "${s.slice(at, pos + 1)}"`);
      emit("number", m[0], at);
    } else if (isAlnum(c)) {
      while (isAlnum(s[pos])) pos++;
      const word = s.slice(at, pos);
      const type = keywords.has(word)
        ? "keyword"
        : word === "true" || word === "false"
          ? "bool"
          : word === "nil"
            ? "nil"
            : "ident";
      emit(type, word, at);
      checkTerminator(src, pos);
    } else {
      throw src.error(pos, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
}

/** After a word only a space, `.`, `,`, `|`, `:`, `=`, a paren or the delimiter may follow (as in Go). */
function checkTerminator(src: Source, pos: number): void {
  const c = src.text[pos];
  if (c === undefined || isSpace(c) || ".,|:=()".includes(c) || src.text.startsWith("}}", pos)) return;
  throw src.error(pos, `bad character ${JSON.stringify(c)}`);
}

const simpleEscapes: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** A Go interpreted string or rune literal starting at pos, decoded. */
function quoted(src: Source, start: number, q: string): { val: string; end: number } {
  const s = src.text;
  let pos = start + 1;
  let val = "";
  const what = q === '"' ? "unterminated quoted string" : "unterminated character constant";
  for (;;) {
    const c = s[pos];
    if (c === undefined || c === "\n") throw src.error(start, what);
    if (c === q) break;
    if (c !== "\\") {
      val += c;
      pos++;
      continue;
    }
    const e = s[pos + 1] ?? "";
    const hex = { x: 2, u: 4, U: 8 }[e];
    if (simpleEscapes[e] !== undefined || e === q) {
      val += simpleEscapes[e] ?? q;
      pos += 2;
    } else if (
      hex !== undefined &&
      /^[0-9a-fA-F]+$/.test(s.slice(pos + 2, pos + 2 + hex)) &&
      s.length >= pos + 2 + hex
    ) {
      val += String.fromCodePoint(Number.parseInt(s.slice(pos + 2, pos + 2 + hex), 16));
      pos += 2 + hex;
    } else if (/^[0-7]{3}$/.test(s.slice(pos + 1, pos + 4))) {
      val += String.fromCharCode(Number.parseInt(s.slice(pos + 1, pos + 4), 8));
      pos += 4;
    } else {
      throw src.error(pos, `invalid escape \\${e} in quoted string`);
    }
  }
  if (q === "'" && [...val].length !== 1)
    throw src.error(start, `malformed character constant: ${s.slice(start, pos + 1)}`);
  return { val, end: pos + 1 };
}
