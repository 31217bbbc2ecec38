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

/**
 * Most problems (and, apart, warnings) kept for the answer: a file of 500,000 bad values must not
 * become a 50 MB error body. The count of the rest is still given.
 */
export const maxReportedIssues = 100;

/** Everything found while parsing both files: we keep going after an error so users see them all. */
export class Diagnostics {
  readonly issues: Issue[] = [];
  readonly warnings: string[] = [];
  private readonly seenWarnings = new Set<string>();
  /** Problems found past {@link maxReportedIssues}. */
  private moreIssues = 0;
  private moreWarnings = 0;

  /** Adds an error. */
  error(file: string, at: Located, message: string): void {
    if (this.issues.length >= maxReportedIssues) {
      this.moreIssues++;
      return;
    }
    this.issues.push({ file, line: at.pos.line, column: at.pos.column, path: at.path, message });
  }

  /** Adds a warning once (the same note repeated for every alias use would be noise). */
  warn(file: string, at: Located, message: string): void {
    const text = formatIssue({ file, line: at.pos.line, column: at.pos.column, path: at.path, message });
    if (this.seenWarnings.has(text)) return;
    if (this.warnings.length >= maxReportedIssues) {
      this.moreWarnings++;
      if (this.moreWarnings === 1) this.warnings.push("more warnings not shown");
      return;
    }
    this.seenWarnings.add(text);
    this.warnings.push(text);
  }

  /** Throws the one InvalidFormat error listing every issue (the first hundred), if there is any. */
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const sorted = [...this.issues].sort(
      (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
    );
    const lines = sorted.map(formatIssue);
    if (this.moreIssues > 0) lines.push(`... and ${this.moreIssues} more problems not shown`);
    throw new AppError("InvalidFormat", lines.join("\n"), { detail: sorted });
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
