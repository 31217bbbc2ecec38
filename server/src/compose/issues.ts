import { AppError } from "@corral/lib";

/** A 1-based position in a source file. */
export interface Pos {
  line: number;
  column: number;
}

/** One problem found in a compose file, with where it is. */
export interface Issue {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending value, e.g. `services.web.ports[0]`. */
  path: string;
  message: string;
}

/** Something that has a source position and a document path (YAML nodes do). */
export interface Located {
  pos: Pos;
  path: string;
}

/** Formats an issue the way compilers do, so editors can jump to it. */
export function formatIssue(i: Issue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path || "(top level)"}: ${i.message}`;
}

/** Everything found while parsing both files: we keep going after an error so users see them all. */
export class Diagnostics {
  readonly issues: Issue[] = [];
  readonly warnings: string[] = [];
  private readonly seenWarnings = new Set<string>();

  /** Adds an error. */
  error(file: string, at: Located, message: string): void {
    this.issues.push({ file, line: at.pos.line, column: at.pos.column, path: at.path, message });
  }

  /** Adds a warning once (the same note repeated for every alias use would be noise). */
  warn(file: string, at: Located, message: string): void {
    const text = formatIssue({ file, line: at.pos.line, column: at.pos.column, path: at.path, message });
    if (this.seenWarnings.has(text)) return;
    this.seenWarnings.add(text);
    this.warnings.push(text);
  }

  /** Throws the one InvalidFormat error listing every issue, if there is any. */
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const sorted = [...this.issues].sort(
      (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
    );
    throw new AppError("InvalidFormat", sorted.map(formatIssue).join("\n"), { detail: sorted });
  }
}

/** Reports problems for one file, so callers need not repeat its name. */
export class FileReporter {
  constructor(
    readonly diags: Diagnostics,
    readonly file: string,
  ) {}

  /** Reports an error at a node or position. */
  error(at: Located, message: string): void {
    this.diags.error(this.file, at, message);
  }

  /** Reports a warning at a node or position. */
  warn(at: Located, message: string): void {
    this.diags.warn(this.file, at, message);
  }
}

/** The start of a file, for problems that concern the whole file. */
export const fileStart: Located = { pos: { line: 1, column: 1 }, path: "" };
