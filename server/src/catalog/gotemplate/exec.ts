import type { Source } from "./errors.ts";
import type { FuncDef } from "./funcs.ts";
import type { Arg, Command, ControlNode, Node, Pipe, Tree } from "./nodes.ts";
import { formatValue, isMap, isTrue, sortedKeys, typeName } from "./values.ts";

/** Bounds on one execution: templates come from repositories users add. */
export interface Limits {
  /** Largest output (and largest intermediate string), in characters. */
  maxOutput: number;
  /** Most nodes, calls and range iterations executed. */
  maxSteps: number;
}

/** 1 MiB of output and a million steps: far beyond any real catalog template. */
export const defaultLimits: Limits = { maxOutput: 1 << 20, maxSteps: 1_000_000 };
const maxTemplateDepth = 100;

const missing = Symbol("missing");
type Final = unknown | typeof missing;
class Break {}
class Continue {}

/** Runs a parsed template over data and returns the text it prints. */
export function execute(
  src: Source,
  tree: Tree,
  funcs: Map<string, FuncDef>,
  data: unknown,
  limits: Limits,
): string {
  return new Exec(src, tree, funcs, limits).run(data);
}

class Exec {
  private out: string[] = [];
  private size = 0;
  private steps = 0;
  private depth = 0;
  private vars: { name: string; value: unknown }[] = [];

  constructor(
    private readonly src: Source,
    private readonly tree: Tree,
    private readonly funcs: Map<string, FuncDef>,
    private readonly limits: Limits,
  ) {}

  run(data: unknown): string {
    this.vars = [{ name: "$", value: data }];
    this.walkList(data, this.tree.root);
    return this.out.join("");
  }

  private err(at: { pos: number }, what: string) {
    return this.src.error(at.pos, what);
  }

  private step(at: { pos: number }): void {
    if (++this.steps > this.limits.maxSteps)
      throw this.err(at, `template too complex: more than ${this.limits.maxSteps} steps`);
  }

  private write(at: { pos: number }, s: string): void {
    this.size += s.length;
    if (this.size > this.limits.maxOutput)
      throw this.err(at, `output larger than ${this.limits.maxOutput} characters`);
    this.out.push(s);
  }

  private walkList(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, n: Node): void {
    this.step(n);
    switch (n.kind) {
      case "text":
        this.write(n, n.text);
        return;
      case "action": {
        const v = this.pipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0)
          this.write(n, v === undefined || v === null ? "<no value>" : formatValue(v));
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const v = this.pipeline(dot, n.pipe);
        if (isTrue(v)) this.walkList(n.kind === "with" ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case "range":
        this.range(dot, n);
        return;
      case "break":
        throw new Break();
      case "continue":
        throw new Continue();
      case "template":
        this.template(dot, n);
        return;
    }
  }

  private range(dot: unknown, n: ControlNode): void {
    const mark = this.vars.length;
    const v = this.pipeline(dot, n.pipe);
    const decl = n.pipe.decl;
    // Items are read by position, never copied: a range over a large int must cost only its steps.
    let count: number;
    let item: (i: number) => [unknown, unknown];
    if (Array.isArray(v)) {
      count = v.length;
      item = (i) => [i, v[i]];
    } else if (isMap(v)) {
      const keys = sortedKeys(v);
      count = keys.length;
      item = (i) => [keys[i], v[keys[i]!]];
    } else if (typeof v === "number" && Number.isInteger(v)) {
      if (decl.length > 1) throw this.err(n, "can't use two variables to range over an int");
      count = Math.max(0, v);
      item = (i) => [i, i];
    } else if (v === undefined || v === null) {
      count = 0;
      item = () => [undefined, undefined];
    } else throw this.err(n, `range can't iterate over ${formatValue(v)}`);
    for (let i = 0; i < count; i++) {
      const [index, elem] = item(i);
      this.step(n);
      if (decl.length === 1) this.setVar(decl[0]!, elem, n.pipe.isAssign);
      if (decl.length === 2) {
        this.setVar(decl[0]!, index, n.pipe.isAssign);
        this.setVar(decl[1]!, elem, n.pipe.isAssign);
      }
      const inner = this.vars.length;
      try {
        this.walkList(elem, n.list);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = inner;
      }
    }
    if (count === 0 && n.elseList) this.walkList(dot, n.elseList);
    this.vars.length = mark;
  }

  private template(dot: unknown, n: Extract<Node, { kind: "template" }>): void {
    const body = this.tree.defines.get(n.name);
    if (!body) throw this.err(n, `no such template "${n.name}"`);
    if (this.depth >= maxTemplateDepth)
      throw this.err(n, `exceeded maximum template depth (${maxTemplateDepth})`);
    const newDot = n.pipe ? this.pipeline(dot, n.pipe) : null;
    const saved = this.vars;
    this.vars = [{ name: "$", value: newDot }];
    this.depth++;
    try {
      this.walkList(newDot, body);
    } finally {
      this.depth--;
      this.vars = saved;
    }
  }

  /** For a declaration pushes the variable; for a range's it sets the one pushed before. */
  private setVar(name: string, value: unknown, assign: boolean): void {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    if (!assign) this.vars.push({ name, value });
  }

  private pipeline(dot: unknown, pipe: Pipe): unknown {
    let value: Final = missing;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value, true);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private command(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0]!;
    if (first.kind === "ident") return this.call(dot, first, cmd.args.slice(1), final);
    if (cmd.args.length > 1 || final !== missing) {
      const what = first.kind === "field" || first.kind === "variable" ? first.ident.join(".") : first.kind;
      if (first.kind === "field" || first.kind === "chain")
        throw this.err(first, `${what} is not a method but has arguments`);
      throw this.err(first, `can't give argument to non-function ${what}`);
    }
    if (first.kind === "nil") throw this.err(first, "nil is not a command");
    return this.arg(dot, first);
  }

  /** The value of one operand. */
  private arg(dot: unknown, a: Arg): unknown {
    switch (a.kind) {
      case "field":
        return this.fields(a, dot, a.ident);
      case "variable":
        return this.fields(a, this.variable(a, a.ident[0]!), a.ident.slice(1));
      case "ident":
        return this.call(dot, a, [], missing);
      case "dot":
        return dot;
      case "nil":
        return null;
      case "bool":
      case "number":
      case "string":
        return a.value;
      case "pipe": {
        const mark = this.vars.length;
        const v = this.pipeline(dot, a.pipe);
        this.vars.length = mark;
        return v;
      }
      case "chain":
        return this.fields(a, this.arg(dot, a.node), a.fields);
    }
  }

  private variable(at: Arg, name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    throw this.err(at, `undefined variable: ${name}`);
  }

  /** Follows `.A.B` from a receiver; a missing map key gives the invalid value, as Go's default does. */
  private fields(at: Arg, receiver: unknown, names: string[]): unknown {
    let v = receiver;
    for (const name of names) {
      if (v === undefined) return undefined;
      if (v === null) throw this.err(at, `nil pointer evaluating interface {}.${name}`);
      if (!isMap(v)) throw this.err(at, `can't evaluate field ${name} in type ${typeName(v)}`);
      v = Object.hasOwn(v, name) ? v[name] : undefined;
    }
    return v;
  }

  private call(dot: unknown, fn: Extract<Arg, { kind: "ident" }>, args: Arg[], final: Final): unknown {
    this.step(fn);
    const def = this.funcs.get(fn.name);
    if (!def) throw this.err(fn, `function "${fn.name}" not defined`);
    const n = args.length + (final === missing ? 0 : 1);
    const fixed = def.params.length;
    if (def.variadic ? n < fixed : n !== fixed)
      throw this.err(
        fn,
        `wrong number of args for ${fn.name}: want ${def.variadic ? "at least " : ""}${fixed} got ${n}`,
      );
    if (def.lazy) return this.andOr(dot, fn.name === "and", args, final);
    const values = args.map((a) => this.arg(dot, a));
    if (final !== missing) values.push(final);
    values.forEach((v, i) => {
      values[i] = this.check(args[i] ?? fn, fn.name, def.params[i] ?? def.variadic!, v);
    });
    let result: unknown;
    try {
      result = def.fn(...values);
    } catch (e) {
      throw this.err(fn, `error calling ${fn.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof result === "string" && result.length > this.limits.maxOutput)
      throw this.err(fn, `${fn.name} made a value larger than ${this.limits.maxOutput} characters`);
    return result;
  }

  /** `and`/`or` evaluate their arguments only as far as needed and return one of them. */
  private andOr(dot: unknown, isAnd: boolean, args: Arg[], final: Final): unknown {
    let v: unknown;
    const count = args.length + (final === missing ? 0 : 1);
    for (let i = 0; i < count; i++) {
      v = i < args.length ? this.arg(dot, args[i]!) : final;
      if (isTrue(v) !== isAnd || i === count - 1) return v;
    }
    return v;
  }

  private check(at: { pos: number }, name: string, type: FuncDef["params"][number], v: unknown): unknown {
    if (type === "value") return v;
    if (type === "any") return v === undefined ? null : v;
    if (v === undefined) throw this.err(at, `invalid value; expected ${goType(type)} for ${name}`);
    const ok =
      type === "string"
        ? typeof v === "string"
        : type === "int"
          ? Number.isInteger(v)
          : typeof v === "boolean";
    if (!ok)
      throw this.err(at, `wrong type for value; expected ${goType(type)}; got ${typeName(v)} (in ${name})`);
    return v;
  }
}

function goType(t: string): string {
  return t === "bool" ? "bool" : t;
}
