/**
 * An error in a Go template, at parse or execution time. The message reads
 * "<template>:<line>:<col>: <what>" (line and column 1-based) so a catalog can show it as is.
 */
export class TemplateError extends Error {
  readonly template: string;
  readonly line: number;
  readonly column: number;
  /** What went wrong, without the position prefix. */
  readonly what: string;

  constructor(template: string, line: number, column: number, what: string) {
    super(`${template}:${line}:${column}: ${what}`);
    this.name = "TemplateError";
    this.template = template;
    this.line = line;
    this.column = column;
    this.what = what;
  }
}

/** Turns source offsets into line/column and raises {@link TemplateError}s for one template. */
export class Source {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** An error at an offset of this template. */
  error(offset: number, what: string): TemplateError {
    const { line, column } = this.position(offset);
    return new TemplateError(this.name, line, column, what);
  }
}
