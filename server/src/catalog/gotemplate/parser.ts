import type { Source } from "./errors.ts";
import { lex, type Token } from "./lexer.ts";
import type { Arg, Command, Node, Pipe, Tree } from "./nodes.ts";

const maxDepth = 100;
type Stop = { stop: "end" | "else" | "eof"; tok: Token };

/** Parses a template into a {@link Tree}, knowing which function names exist (as Go does). */
export function parse(src: Source, funcs: ReadonlySet<string>): Tree {
  return new Parser(src, funcs).parseTop();
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private depth = 0;
  private readonly defines = new Map<string, Node[]>();

  constructor(
    private readonly src: Source,
    private readonly funcs: ReadonlySet<string>,
  ) {
    this.toks = lex(src);
  }

  parseTop(): Tree {
    const { nodes, end } = this.list(true);
    if (end.stop !== "eof") throw this.err(end.tok, `unexpected {{${end.stop}}}`);
    return { root: nodes, defines: this.defines };
  }

  private err(t: { pos: number }, what: string) {
    return this.src.error(t.pos, what);
  }
  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.type !== "eof") this.i++;
    return t;
  }
  private expect(type: Token["type"], context: string): Token {
    const t = this.next();
    if (t.type !== type) throw this.err(t, `unexpected ${describe(t)} in ${context}`);
    return t;
  }

  /** Nodes up to `{{end}}`, `{{else}}` or the end of input. */
  private list(top = false): { nodes: Node[]; end: Stop } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === "eof") return { nodes, end: { stop: "eof", tok: t } };
      if (t.type === "text") {
        nodes.push({ kind: "text", pos: t.pos, text: t.val });
        continue;
      }
      const r = this.action(top);
      if (r === undefined) continue;
      if ("stop" in r) return { nodes, end: r };
      nodes.push(r);
    }
  }

  private action(top: boolean): Node | Stop | undefined {
    const t = this.next();
    if (t.type !== "keyword") {
      this.i--;
      const pipe = this.pipeline("command", "right");
      return { kind: "action", pos: pipe.pos, pipe };
    }
    switch (t.val) {
      case "if":
      case "with":
      case "range":
        return this.control(t.val, t);
      case "end":
        this.expect("right", "end");
        return { stop: "end", tok: t };
      case "else": {
        const p = this.peek();
        if (!(p.type === "keyword" && (p.val === "if" || p.val === "with"))) this.expect("right", "else");
        return { stop: "else", tok: t };
      }
      case "break":
      case "continue":
        if (this.rangeDepth === 0) throw this.err(t, `{{${t.val}}} outside {{range}}`);
        this.expect("right", t.val);
        return { kind: t.val, pos: t.pos };
      case "template":
        return this.templateCall(t);
      case "define":
      case "block":
        return this.define(t, top);
    }
    throw this.err(t, `unexpected ${describe(t)}`);
  }

  private control(kind: "if" | "with" | "range", at: Token): Node {
    if (++this.depth > maxDepth) throw this.err(at, `nesting deeper than ${maxDepth}`);
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, "right");
    if (kind === "range") this.rangeDepth++;
    const body = this.list();
    if (kind === "range") this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.end.stop === "else") {
      const p = this.peek();
      if (p.type === "keyword" && (p.val === "if" || p.val === "with")) {
        if (p.val !== kind) throw this.err(p, `{{else ${p.val}}} inside {{${kind}}}`);
        this.next();
        elseList = [this.control(kind, p)];
      } else {
        const e = this.list();
        if (e.end.stop !== "end") throw this.unclosed(kind, at, e.end);
        elseList = e.nodes;
      }
    } else if (body.end.stop !== "end") throw this.unclosed(kind, at, body.end);
    this.vars.length = mark;
    this.depth--;
    return { kind, pos: at.pos, pipe, list: body.nodes, elseList };
  }

  private unclosed(kind: string, at: Token, end: Stop) {
    if (end.stop === "eof") return this.err(at, `unexpected EOF: {{${kind}}} has no {{end}}`);
    return this.err(
      end.tok,
      `expected {{end}} for the {{${kind}}} at line ${this.src.position(at.pos).line}; found {{else}}`,
    );
  }

  private templateCall(at: Token): Node {
    const name = this.expect("string", "template clause");
    if (this.peek().type === "right") {
      this.next();
      return { kind: "template", pos: at.pos, name: name.val };
    }
    const pipe = this.pipeline("template clause", "right");
    return { kind: "template", pos: at.pos, name: name.val, pipe };
  }

  private define(at: Token, top: boolean): Node | undefined {
    if (at.val === "define" && !top) throw this.err(at, "{{define}} only at the top level");
    const name = this.expect("string", `${at.val} clause`);
    const pipe = at.val === "block" ? this.pipeline("block clause", "right") : undefined;
    if (!pipe) this.expect("right", "define clause");
    const saved = this.vars;
    this.vars = ["$"];
    const body = this.list();
    this.vars = saved;
    if (body.end.stop !== "end") throw this.unclosed(at.val, at, body.end);
    this.defines.set(name.val, body.nodes);
    return pipe ? { kind: "template", pos: at.pos, name: name.val, pipe } : undefined;
  }

  private pipeline(context: string, end: "right" | "rparen"): Pipe {
    const pipe: Pipe = { pos: this.peek().pos, decl: [], isAssign: false, cmds: [] };
    const start = this.i;
    while (this.peek().type === "variable") {
      const v = this.next();
      const n = this.peek();
      if (n.type === "declare" || n.type === "assign") {
        this.next();
        pipe.isAssign = n.type === "assign";
        if (pipe.isAssign && !this.vars.includes(v.val)) throw this.err(v, `undefined variable "${v.val}"`);
        pipe.decl.push(v.val);
        break;
      }
      if (n.type === "comma" && pipe.decl.length === 0) {
        if (context !== "range") throw this.err(n, `too many declarations in ${context}`);
        this.next();
        pipe.decl.push(v.val);
        if (this.peek().type !== "variable")
          throw this.err(this.peek(), "range can only initialize variables");
        continue;
      }
      if (pipe.decl.length > 0) throw this.err(n, `unexpected ${describe(n)} in ${context} declaration`);
      this.i = start;
      break;
    }
    if (!pipe.isAssign) this.vars.push(...pipe.decl);
    for (;;) {
      const t = this.peek();
      if (t.type === end) {
        this.next();
        break;
      }
      if (!startsOperand(t)) throw this.err(t, `unexpected ${describe(t)} in ${context}`);
      pipe.cmds.push(this.command(end));
    }
    if (pipe.cmds.length === 0) throw this.err({ pos: pipe.pos }, `missing value for ${context}`);
    pipe.cmds.forEach((c, n) => {
      const k = c.args[0]!.kind;
      if (n > 0 && ["bool", "dot", "nil", "number", "string"].includes(k))
        throw this.err(c, `non executable command in pipeline stage ${n + 1}`);
    });
    return pipe;
  }

  private command(end: "right" | "rparen"): Command {
    const cmd: Command = { pos: this.peek().pos, args: [] };
    for (;;) {
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.peek();
      if (t.type === end) break;
      if (t.type === "pipe") {
        this.next();
        if (this.peek().type === end) throw this.err(this.peek(), "missing command after |");
        break;
      }
      if (!op || !t.space) throw this.err(t, `unexpected ${describe(t)} in operand`);
    }
    if (cmd.args.length === 0) throw this.err(cmd, "empty command");
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node) return undefined;
    const fields: string[] = [];
    while (this.peek().type === "field" && !this.peek().space) fields.push(this.next().val.slice(1));
    if (fields.length === 0) return node;
    if (node.kind === "field" || node.kind === "variable")
      return { ...node, ident: [...node.ident, ...fields] };
    if (node.kind !== "pipe" && node.kind !== "ident")
      throw this.err(node, `unexpected . after term ${JSON.stringify(node.kind)}`);
    return { kind: "chain", pos: node.pos, node, fields };
  }

  private term(): Arg | undefined {
    const t = this.next();
    const pos = t.pos;
    switch (t.type) {
      case "ident":
        if (!this.funcs.has(t.val)) throw this.err(t, `function "${t.val}" not defined`);
        return { kind: "ident", pos, name: t.val };
      case "dot":
        return { kind: "dot", pos };
      case "nil":
        return { kind: "nil", pos };
      case "variable":
        if (!this.vars.includes(t.val)) throw this.err(t, `undefined variable "${t.val}"`);
        return { kind: "variable", pos, ident: [t.val] };
      case "field":
        return { kind: "field", pos, ident: [t.val.slice(1)] };
      case "bool":
        return { kind: "bool", pos, value: t.val === "true" };
      case "char":
        return { kind: "number", pos, value: t.val.codePointAt(0)!, text: t.val };
      case "number":
        return { kind: "number", pos, value: parseNumber(t.val), text: t.val };
      case "string":
        return { kind: "string", pos, value: t.val };
      case "lparen": {
        if (++this.depth > maxDepth) throw this.err(t, `nesting deeper than ${maxDepth}`);
        const pipe = this.pipeline("parenthesized pipeline", "rparen");
        this.depth--;
        return { kind: "pipe", pos, pipe };
      }
    }
    this.i--;
    return undefined;
  }
}

function startsOperand(t: Token): boolean {
  return ["ident", "dot", "nil", "variable", "field", "bool", "char", "number", "string", "lparen"].includes(
    t.type,
  );
}

function describe(t: Token): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "right") return "}}";
  return JSON.stringify(t.type === "string" ? `"${t.val}"` : t.val);
}

/** A Go number literal: `0x`/`0o`/`0b`/leading-0 octal integers, underscores, floats. */
function parseNumber(text: string): number {
  const neg = text.startsWith("-");
  const body = text.replace(/^[+-]/, "").replaceAll("_", "");
  let n: number;
  if (/^0[xX]/.test(body)) n = Number.parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = Number.parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = Number.parseInt(body.slice(2), 8);
  else if (/^0[0-7]+$/.test(body)) n = Number.parseInt(body, 8);
  else n = Number(body);
  return neg ? -n : n;
}
