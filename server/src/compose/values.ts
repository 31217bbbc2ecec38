import type { FileReporter } from "./issues.ts";
import type { YMap, YNode, YSeq } from "./yaml-tree.ts";

/** Human name of a node's type, for "must be X, not Y" messages. */
export function typeName(n: YNode): string {
  if (n.kind !== "scalar") return n.kind === "map" ? "a mapping" : "a list";
  return n.value === null ? "null" : `a ${typeof n.value}`;
}

/** A mapping, or undefined after reporting. */
export function asMap(r: FileReporter, n: YNode, what = "a mapping"): YMap | undefined {
  if (n.kind === "map") return n;
  r.error(n, `must be ${what}, not ${typeName(n)}`);
  return undefined;
}

/** A list, or undefined after reporting. */
export function asSeq(r: FileReporter, n: YNode): YSeq | undefined {
  if (n.kind === "seq") return n;
  r.error(n, `must be a list, not ${typeName(n)}`);
  return undefined;
}

/** A string; numbers are accepted and stringified because YAML types `8080` or `1000` eagerly. */
export function asString(r: FileReporter, n: YNode): string | undefined {
  if (n.kind === "scalar" && (typeof n.value === "string" || typeof n.value === "number"))
    return String(n.value);
  r.error(n, `must be a string, not ${typeName(n)}`);
  return undefined;
}

/** An integer within bounds; numeric strings count, since interpolation always yields strings. */
export function asInt(r: FileReporter, n: YNode, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  let v: number | undefined;
  if (n.kind === "scalar" && typeof n.value === "number") v = n.value;
  else if (n.kind === "scalar" && typeof n.value === "string" && /^\s*-?\d+\s*$/.test(n.value))
    v = Number(n.value);
  if (v === undefined || !Number.isInteger(v)) {
    r.error(n, `must be an integer, not ${n.kind === "scalar" ? JSON.stringify(n.value) : typeName(n)}`);
    return undefined;
  }
  if (v < min || v > max) {
    r.error(n, `must be between ${min} and ${max}, not ${v}`);
    return undefined;
  }
  return v;
}

/** A number (cpus "0.5"), from a number or a numeric string. */
export function asNumber(r: FileReporter, n: YNode): number | undefined {
  const v = n.kind === "scalar" ? Number(n.value) : Number.NaN;
  if (
    n.kind === "scalar" &&
    n.value !== null &&
    n.value !== "" &&
    typeof n.value !== "boolean" &&
    Number.isFinite(v)
  )
    return v;
  r.error(n, `must be a number, not ${typeName(n)}`);
  return undefined;
}

const truthy = new Set(["true", "yes", "on", "y"]);
const falsy = new Set(["false", "no", "off", "n"]);

/** A boolean; YAML 1.1 spellings (yes/no/on/off) count because compose v1 files use them. */
export function asBool(r: FileReporter, n: YNode): boolean | undefined {
  if (n.kind === "scalar") {
    if (typeof n.value === "boolean") return n.value;
    const s = typeof n.value === "string" ? n.value.toLowerCase() : "";
    if (truthy.has(s)) return true;
    if (falsy.has(s)) return false;
  }
  r.error(
    n,
    `must be a boolean (true or false), not ${n.kind === "scalar" ? JSON.stringify(n.value) : typeName(n)}`,
  );
  return undefined;
}

/** A list of strings, or (when allowed) one string standing for a one-item list (`dns: 8.8.8.8`). */
export function asStringList(r: FileReporter, n: YNode, allowSingle = false): string[] | undefined {
  if (allowSingle && n.kind === "scalar" && n.value !== null && typeof n.value !== "boolean")
    return [String(n.value)];
  const s = asSeq(r, n);
  if (!s) return undefined;
  const out: string[] = [];
  for (const it of s.items) {
    const v = asString(r, it);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** One `KEY=value` / `KEY: value` item; value undefined when only the key is given. */
export interface KeyValue {
  key: string;
  value: string | undefined;
  node: YNode;
}

/** Reads the two spellings compose allows for environment, labels and extra_hosts. */
export function asKeyValues(r: FileReporter, n: YNode, sep: "=" | ":"): KeyValue[] {
  const out: KeyValue[] = [];
  if (n.kind === "map") {
    for (const e of n.entries) {
      const v = e.value;
      if (v.kind !== "scalar") r.error(v, `must be a string, not ${typeName(v)}`);
      else out.push({ key: e.key, value: v.value === null ? undefined : String(v.value), node: v });
    }
    return out;
  }
  const s = n.kind === "seq" ? n : undefined;
  if (!s) {
    r.error(n, `must be a list or a mapping, not ${typeName(n)}`);
    return out;
  }
  for (const it of s.items) {
    const text = asString(r, it);
    if (text === undefined) continue;
    const i = text.indexOf(sep);
    out.push(
      i < 0
        ? { key: text, value: undefined, node: it }
        : { key: text.slice(0, i), value: text.slice(i + 1), node: it },
    );
  }
  return out;
}

const sizeUnits: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte size: a number, or "512m", "1g", "1.5gb" (Docker's binary units). */
export function asBytes(r: FileReporter, n: YNode): number | undefined {
  if (n.kind === "scalar" && typeof n.value === "number" && Number.isInteger(n.value) && n.value >= 0)
    return n.value;
  const m = n.kind === "scalar" ? /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*$/i.exec(String(n.value)) : null;
  if (!m) {
    r.error(
      n,
      `must be a size like 512m or 1g, not ${n.kind === "scalar" ? JSON.stringify(n.value) : typeName(n)}`,
    );
    return undefined;
  }
  return Math.floor(Number(m[1]) * (sizeUnits[(m[2] ?? "").toLowerCase()] ?? 1));
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A duration in milliseconds: "10s", "1m30s", "500ms" (Go's syntax); a bare number means seconds. */
export function asDurationMs(r: FileReporter, n: YNode): number | undefined {
  if (n.kind === "scalar" && typeof n.value === "number" && n.value >= 0) return n.value * 1000;
  const text = n.kind === "scalar" && typeof n.value === "string" ? n.value.trim() : "";
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (durationUnits[m[2] ?? "s"] ?? 1000);
    matched = re.lastIndex;
  }
  if (text === "" || matched !== text.length) {
    r.error(
      n,
      `must be a duration like 10s or 1m30s, not ${n.kind === "scalar" ? JSON.stringify(n.value) : typeName(n)}`,
    );
    return undefined;
  }
  return total;
}

/**
 * Splits a command string the way a POSIX shell would split words (quotes, backslashes), without
 * expansions: compose does the same (shlex) for string `command:` and `entrypoint:`.
 */
export function shellSplit(text: string): string[] | string {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] as string))
        cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return `unterminated ${quote} quote`;
  if (inWord) words.push(cur);
  return words;
}

/** A command: a list of strings, or a string split like a shell would. */
export function asCommand(r: FileReporter, n: YNode): string[] | undefined {
  if (n.kind === "scalar" && n.value !== null && typeof n.value !== "boolean") {
    const words = shellSplit(String(n.value));
    if (typeof words === "string") r.error(n, words);
    return typeof words === "string" ? undefined : words;
  }
  return asStringList(r, n);
}
