import { LineCounter, parseAllDocuments } from "yaml";
import type { ComposeIssue } from "../api/types.ts";

/**
 * The YAML syntax problems of one compose file, at line and column, found in the browser before
 * the file is sent. It parses with the same package and options as the server's compose parser
 * (server/src/compose/yaml-tree.ts), so a problem shows at the position the server would name.
 * Only syntax: what the compose model refuses is still the server's answer after submit.
 */
export function yamlIssues(file: string, text: string): ComposeIssue[] {
  const lc = new LineCounter();
  const at = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const second = list[1];
  if (second)
    return [
      {
        file,
        ...at(second.range?.[0] ?? 0),
        message: "only one YAML document is allowed (found '---' separator)",
      },
    ];
  const doc = list[0];
  if (!doc) return [];
  return doc.errors.map((e) => ({
    file,
    ...at(e.pos[0]),
    message: `YAML syntax: ${e.message.split("\n")[0] ?? e.message}`,
  }));
}
