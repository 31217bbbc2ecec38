// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files, where ${VAR} is the syntax under test
/**
 * Random values for the fuzzer: a seeded random source, strings that have broken parsers, random
 * JSON, and mutations of JSON values and compose files.
 */

/** A seeded random source (mulberry32): the same seed gives the same requests. */
export class Rand {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One item of a list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Strings that have broken parsers somewhere. */
export const nasty = [
  "",
  " ",
  "0",
  "-1",
  "1e308",
  "NaN",
  "null",
  "true",
  "abc",
  "2026-13-45T99:99:99Z",
  "1970-01-01T00:00:00Z",
  "1a1",
  "1a99999999999999999999",
  "../../etc/passwd",
  "%00",
  "%zz",
  "%",
  "\u0000",
  "\ud800",
  "é",
  "😀",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "${V}",
  "$",
  "\\",
  '"',
  "a".repeat(1025),
  "b".repeat(5000),
];

/** Percent-encodes any text (a lone surrogate becomes U+FFFD, as a browser would send it). */
export function enc(text: string): string {
  return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/gu, "\uFFFD"));
}

/** A random text: nasty strings, random characters, or repetitions. */
export function randomText(r: Rand): string {
  const roll = r.int(5);
  if (roll === 0) return r.pick(nasty);
  if (roll === 1) return r.pick(nasty).repeat(1 + r.int(200));
  const n = r.int(40);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.chance(0.9) ? 32 + r.int(95) : r.int(0x3000));
  return s;
}

/** A random JSON value, `depth` levels at most. */
export function randomJson(r: Rand, depth = 3): unknown {
  const roll = r.int(depth > 0 ? 9 : 6);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      // No scale in [1000, 10000]: a service that large is a finding of its own (orchestrator passes).
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 65536, 3]);
    case 3:
    case 4:
    case 5:
      return randomText(r);
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      const n = r.int(6);
      for (let i = 0; i < n; i++)
        o[r.chance(0.7) ? r.pick(fieldNames) : randomText(r)] = randomJson(r, depth - 1);
      return o;
    }
    default:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth - 1));
  }
}

const fieldNames = [
  "name",
  "description",
  "imageUuid",
  "command",
  "environment",
  "labels",
  "ports",
  "volumes",
  "scale",
  "launchConfig",
  "stackId",
  "dockerCompose",
  "rancherCompose",
  "startOnCreate",
  "kind",
  "token",
  "hostname",
  "uuid",
  "cert",
  "key",
  "generate",
  "restartPolicy",
  "networkMode",
  "serviceLinks",
  "inServiceStrategy",
  "answers",
  "externalId",
  "publicValue",
  "secretValue",
  "accountId",
  "projectId",
  "servicesPortRange",
  "__proto__",
  "constructor",
];

/** A JSON value with one random change: a field dropped, retyped, swollen, nested or added. */
export function mutateJson(r: Rand, value: unknown): unknown {
  if (value === null || typeof value !== "object") return r.chance(0.5) ? randomJson(r) : value;
  const copy: Record<string, unknown> = Array.isArray(value) ? { ...value } : { ...(value as object) };
  const keys = Object.keys(copy);
  const key = keys.length ? r.pick(keys) : r.pick(fieldNames);
  switch (r.int(8)) {
    case 0:
      delete copy[key];
      break;
    case 1:
      copy[key] = randomJson(r);
      break;
    case 2:
      copy[key] = mutateJson(r, copy[key]);
      break;
    case 3:
      copy[r.pick(fieldNames)] = randomJson(r);
      break;
    case 4:
      copy[key] = "z".repeat(r.pick([100, 5000, 70_000, 300_000]));
      break;
    case 5: {
      let deep: unknown = copy[key];
      for (let i = 0, n = r.pick([10, 100, 3000]); i < n; i++) deep = r.chance(0.5) ? [deep] : { a: deep };
      copy[key] = deep;
      break;
    }
    case 6:
      copy[key] = Object.fromEntries(
        Array.from({ length: r.pick([10, 1000, 20_000]) }, (_, i) => [`k${i}`, "v"]),
      );
      break;
    default:
      return Array.isArray(value) ? copy : [copy];
  }
  return Array.isArray(value) ? Object.values(copy) : copy;
}

/** Compose text with a few random edits: interpolation, anchors, punctuation, cuts and repetitions. */
export function mutateCompose(r: Rand, text: string): string {
  let out = text;
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = r.int(out.length + 1);
    const insert = r.pick([
      "${V}",
      "${V:-${W:-x}}",
      "$",
      "${",
      "$$",
      "${V:?gone}",
      "&a ",
      "*a",
      "<<: *a\n",
      "\t",
      ":",
      "- ",
      "{",
      "[",
      "'",
      '"',
      "\n  x-bad: [1, 2\n",
      "\n---\n",
      "${V}".repeat(r.pick([10, 1000, 40_000])),
      `${"${A:-".repeat(50)}x${"}".repeat(50)}`,
      randomText(r),
    ]);
    switch (r.int(4)) {
      case 0:
        out = out.slice(0, at) + insert + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at);
        break;
      case 2: {
        const lines = out.split("\n");
        const i = r.int(lines.length);
        lines.splice(i, 0, ...Array.from({ length: r.pick([2, 50, 2000]) }, () => lines[i] ?? ""));
        out = lines.join("\n");
        break;
      }
      default:
        out = out.slice(0, at) + insert + out.slice(at + r.int(10));
    }
  }
  return out;
}
