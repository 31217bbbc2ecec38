import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  Scalar,
} from "yaml";
import type { FileReporter, Located, Pos } from "./issues.ts";

/** A scalar with its position: the value as YAML typed it (core schema, YAML 1.2). */
export interface YScalar extends Located {
  kind: "scalar";
  value: string | number | boolean | null;
}
/** One `key: value` of a mapping; `keyPos` is where the key is written. */
export interface YEntry {
  key: string;
  keyPos: Pos;
  value: YNode;
}
/** A mapping with its entries in source order (merge keys already applied). */
export interface YMap extends Located {
  kind: "map";
  entries: YEntry[];
}
/** A sequence. */
export interface YSeq extends Located {
  kind: "seq";
  items: YNode[];
}
/**
 * A YAML value with positions, aliases expanded. We convert the yaml package's AST into this small
 * tree once so every later step can report `file:line:column` without knowing about the AST.
 */
export type YNode = YScalar | YMap | YSeq;

/** Largest compose file we read; Rancher's API had the same limit. */
export const maxFileBytes = 1024 * 1024;
/** Largest document once aliases are expanded: past this, it is an alias bomb, not a stack. */
export const maxExpandedBytes = 4 * 1024 * 1024;
/** Passed to the yaml package: bounds nested alias expansion (billion laughs). */
export const maxAliasCount = 100;

/** Path of a mapping entry: dotted when the key is a plain word, bracketed otherwise (labels). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  if (!parent) return part;
  return part.startsWith('"') ? `${parent}[${part}]` : `${parent}.${part}`;
}

class TooBig extends Error {}

/**
 * Parses one YAML file into a positioned tree. Returns undefined (after reporting) on syntax errors,
 * several documents, or bounds exceeded; an empty file gives a null scalar.
 */
export function loadYaml(text: string, r: FileReporter): YNode | undefined {
  const start = { pos: { line: 1, column: 1 }, path: "" };
  if (Buffer.byteLength(text, "utf8") > maxFileBytes) {
    r.error(start, `file is larger than ${maxFileBytes} bytes`);
    return undefined;
  }
  const lc = new LineCounter();
  const at = (offset: number): Pos => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  // uniqueKeys off: duplicates are a warning here (the last value wins), with both positions.
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > 1) {
    const second = list[1] as Document;
    r.error(
      { pos: at(second.range?.[0] ?? 0), path: "" },
      "only one YAML document is allowed (found '---' separator)",
    );
    return undefined;
  }
  const doc = list[0];
  if (!doc) return { kind: "scalar", value: null, ...start };
  for (const w of doc.warnings) r.warn({ pos: at(w.pos[0]), path: "" }, firstLine(w.message));
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      r.error({ pos: at(e.pos[0]), path: "" }, `YAML syntax: ${firstLine(e.message)}`);
    return undefined;
  }
  try {
    // The yaml package's own guard against nested alias expansion, before we expand anything.
    doc.toJS({ maxAliasCount, mapAsMap: true });
  } catch (e) {
    // Other failures (bad merge sources, unknown aliases) are reported with positions below.
    if (e instanceof ReferenceError && e.message.startsWith("Excessive alias count")) {
      r.error(start, `aliases expand without bound: ${e.message}`);
      return undefined;
    }
  }
  const builder = new TreeBuilder(doc, at, r);
  try {
    return doc.contents ? builder.build(doc.contents, "") : { kind: "scalar", value: null, ...start };
  } catch (e) {
    if (!(e instanceof TooBig)) throw e;
    r.error(start, `document expands to more than ${maxExpandedBytes} bytes (aliases?)`);
    return undefined;
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** Walks the AST in document order, expanding aliases and merge keys, charging a size budget. */
class TreeBuilder {
  private budget = maxExpandedBytes;
  private readonly anchors = new Map<string, Node>();

  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => Pos,
    private readonly r: FileReporter,
  ) {}

  private charge(bytes: number): void {
    this.budget -= bytes;
    if (this.budget < 0) throw new TooBig();
  }

  private posOf(node: { range?: [number, number, number] | null }): Pos {
    return this.at(node.range?.[0] ?? 0);
  }

  build(node: Node, path: string): YNode {
    if (node.anchor) this.anchors.set(node.anchor, node);
    if (isAlias(node)) {
      const target = this.anchors.get(node.source) ?? node.resolve(this.doc);
      if (!target) {
        this.r.error({ pos: this.posOf(node), path }, `unknown alias *${node.source}`);
        return { kind: "scalar", value: null, pos: this.posOf(node), path };
      }
      return this.build(target, path);
    }
    const pos = this.posOf(node);
    if (isScalar(node)) {
      const v = node.value;
      this.charge(typeof v === "string" ? v.length + 2 : 8);
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        return { kind: "scalar", value: v, pos, path };
      }
      // Dates, binary and bigints: keep their text, compose has no use for the typed value.
      return { kind: "scalar", value: node.source ?? String(v), pos, path };
    }
    if (isSeq(node)) {
      this.charge(2);
      return {
        kind: "seq",
        items: node.items.map((it, i) => this.build(it as Node, childPath(path, i))),
        pos,
        path,
      };
    }
    if (isMap(node)) return this.buildMap(node, path, pos);
    return { kind: "scalar", value: null, pos, path };
  }

  private buildMap(node: Node & { items: unknown[] }, path: string, pos: Pos): YMap {
    this.charge(2);
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    const seen = new Map<string, Pos>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const keyPos = keyNode ? this.posOf(keyNode) : pos;
      if (isMergeKey(keyNode)) {
        merged.push(...this.mergeSources(pair.value as Node | null, path, keyPos));
        continue;
      }
      if (keyNode && !isScalar(keyNode) && !isAlias(keyNode)) {
        this.r.error({ pos: keyPos, path }, "mapping keys must be plain strings");
        continue;
      }
      const keyValue = keyNode && isScalar(keyNode) ? keyNode.value : keyNode ? this.aliasKey(keyNode) : null;
      const key = keyValue === null || keyValue === undefined ? "" : String(keyValue);
      this.charge(key.length + 4);
      const valuePath = childPath(path, key);
      const value = pair.value
        ? this.build(pair.value as Node, valuePath)
        : { kind: "scalar" as const, value: null, pos: keyPos, path: valuePath };
      const first = seen.get(key);
      if (first) {
        // Rancher's YAML reader kept the last value; so do we, but the user is told where.
        this.r.warn(
          { pos: keyPos, path: valuePath },
          `duplicate key "${key}" (also at line ${first.line}, column ${first.column}): the last value is used`,
        );
        const i = entries.findIndex((e) => e.key === key);
        entries.splice(i, 1);
      }
      seen.set(key, keyPos);
      entries.push({ key, keyPos, value });
    }
    // Merge keys: explicit entries win, and earlier sources win over later ones (YAML merge spec).
    for (const e of merged) {
      if (seen.has(e.key)) continue;
      seen.set(e.key, e.keyPos);
      entries.push(e);
    }
    return { kind: "map", entries, pos, path };
  }

  private aliasKey(node: Node): unknown {
    const target = isAlias(node) ? this.anchors.get(node.source) : undefined;
    return target && isScalar(target) ? target.value : null;
  }

  private mergeSources(value: Node | null, path: string, keyPos: Pos): YEntry[] {
    if (!value) return [];
    const built = this.build(value, path);
    const sources = built.kind === "seq" ? built.items : [built];
    const out: YEntry[] = [];
    for (const s of sources) {
      if (s.kind !== "map") {
        this.r.error({ pos: keyPos, path }, "merge key << needs a mapping or a list of mappings");
        continue;
      }
      for (const e of s.entries) {
        // Re-root paths: merged values live at this map's path, not the anchor's.
        if (!out.some((o) => o.key === e.key))
          out.push({ ...e, value: reroot(e.value, childPath(path, e.key)) });
      }
    }
    return out;
  }
}

function isMergeKey(key: Node | null): boolean {
  if (!key || !isScalar(key)) return false;
  const v = key.value;
  if (typeof v === "symbol") return v.description === "<<";
  return v === "<<" && (!key.type || key.type === Scalar.PLAIN);
}

/** Copies a subtree with new paths (positions stay where the text is). */
function reroot(node: YNode, path: string): YNode {
  if (node.kind === "scalar") return { ...node, path };
  if (node.kind === "seq")
    return { ...node, path, items: node.items.map((it, i) => reroot(it, childPath(path, i))) };
  return {
    ...node,
    path,
    entries: node.entries.map((e) => ({ ...e, value: reroot(e.value, childPath(path, e.key)) })),
  };
}

/** Finds an entry of a map by key. */
export function entry(map: YMap, key: string): YEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** Converts a subtree to plain JSON values (for metadata, lb_config). */
export function toPlain(node: YNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const e of node.entries) out[e.key] = toPlain(e.value);
  return out;
}
