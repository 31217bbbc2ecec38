import { AppError } from "@corral/lib";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";

/** Where a problem is in a source file, 1-based like editors and compilers print it. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One reported problem: `file:line:column: reason`. */
export interface SourceProblem extends SourcePosition {
  reason: string;
}

/** Formats a problem as compilers do, so editors can jump to it. */
export function formatProblem(p: SourceProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.reason}`;
}

/** A parsed YAML file that can say where any value of it came from. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** The position of the node at `path` (or of its nearest ancestor that exists). */
  locate(path: readonly PropertyKey[], key?: string): SourcePosition;
}

/** The error thrown for a bad config or service file; `detail.problems` holds every position. */
export function sourceError(problems: SourceProblem[]): AppError {
  return new AppError("InvalidFormat", problems.map(formatProblem).join("\n"), { detail: { problems } });
}

/**
 * Parses YAML keeping positions. Syntax errors and duplicate keys throw with file:line:column.
 * Aliases are capped (billion laughs) by yaml's own maxAliasCount.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    throw sourceError(doc.errors.map((e) => ({ ...at(e.pos[0]), reason: e.message.split("\n")[0] ?? "" })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw sourceError([{ ...at(0), reason: e instanceof Error ? e.message : String(e) }]);
  }
  const locate = (path: readonly PropertyKey[], key?: string): SourcePosition => {
    let node: unknown = doc.contents;
    let best = node as Node | null;
    for (const part of path) {
      const next =
        isMap(node) || (node && typeof node === "object" && "items" in node)
          ? getChild(node, part)
          : undefined;
      if (!next) break;
      node = next;
      best = next as Node;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const k = pair?.key as Node | undefined;
      if (k?.range) return at(k.range[0]);
    }
    return at(best?.range?.[0] ?? 0);
  };
  return { file, value, locate };
}

function getChild(node: unknown, part: PropertyKey): unknown {
  const collection = node as { items: unknown[] };
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
    return pair?.value ?? pair?.key ?? undefined;
  }
  return typeof part === "number" ? collection.items[part] : undefined;
}

/** Turns zod issues into positioned problems against the file they came from. */
export function zodProblems(source: YamlSource, issues: readonly z.core.$ZodIssue[]): SourceProblem[] {
  return issues.map((issue) => {
    const path = issue.path as PropertyKey[];
    const unknownKey = issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
    const where = source.locate(path, unknownKey);
    const dotted = path.map(String).join(".");
    const reason =
      issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `'${k}'`).join(", ")}`
        : issue.message;
    return { ...where, reason: dotted ? `${dotted}: ${reason}` : reason };
  });
}
