/** Parse tree of a Go template, shaped like text/template/parse's nodes (only what execution needs). */

/** An operand of a command. */
export type Arg =
  | { kind: "field"; pos: number; ident: string[] }
  | { kind: "variable"; pos: number; ident: string[] }
  | { kind: "ident"; pos: number; name: string }
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "bool"; pos: number; value: boolean }
  | { kind: "number"; pos: number; value: number; text: string }
  | { kind: "string"; pos: number; value: string }
  | { kind: "pipe"; pos: number; pipe: Pipe }
  | { kind: "chain"; pos: number; node: Arg; fields: string[] };

/** A command: a function or a value, with its arguments. */
export interface Command {
  pos: number;
  args: Arg[];
}

/** A pipeline, optionally declaring (`:=`) or assigning (`=`) variables. */
export interface Pipe {
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

/** `if`, `with` or `range` with its body and optional `else`. */
export interface ControlNode {
  kind: "if" | "with" | "range";
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

/** A node of a template body. */
export type Node =
  | { kind: "text"; pos: number; text: string }
  | { kind: "action"; pos: number; pipe: Pipe }
  | ControlNode
  | { kind: "break" | "continue"; pos: number }
  | { kind: "template"; pos: number; name: string; pipe?: Pipe };

/** A parsed template: its body and the templates it defines with `define` or `block`. */
export interface Tree {
  root: Node[];
  defines: Map<string, Node[]>;
}
