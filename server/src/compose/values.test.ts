// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose files, where ${VAR} is the syntax under test
import { describe, expect, test } from "bun:test";
import { interpolateString } from "./interpolate.ts";
import { Diagnostics, FileReporter } from "./issues.ts";
import { shortPort } from "./ports.ts";
import { asBytes, asDurationMs, shellSplit } from "./values.ts";
import type { YScalar } from "./yaml-tree.ts";

const scalar = (value: string | number): YScalar => ({
  kind: "scalar",
  value,
  pos: { line: 1, column: 1 },
  path: "x",
});
const reporter = () => new FileReporter(new Diagnostics(), "f.yml");

describe("interpolation", () => {
  const env: Record<string, string> = { A: "a", EMPTY: "" };
  const run = (text: string) => {
    const r = reporter();
    const out = interpolateString(text, (n) => env[n], r, scalar(text));
    return { out, issues: r.diags.issues.map((i) => i.message), warnings: r.diags.warnings };
  };
  const cases: [string, string][] = [
    ["${A}", "a"],
    ["$A-$A", "a-a"],
    ["${A:-d}", "a"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${NOPE-d}", "d"],
    ["${NOPE:-${A}x}", "ax"],
    ["${A:+set}", "set"],
    ["${NOPE:+set}", ""],
    ["$$A costs $$5", "$A costs $5"],
    ["no vars", "no vars"],
  ];
  for (const [input, want] of cases) test(`${input} → ${want}`, () => expect(run(input).out).toBe(want));

  test("unset variables warn", () => {
    expect(run("x${NOPE}y")).toMatchObject({ out: "xy", issues: [] });
    expect(run("${NOPE}").warnings[0]).toContain("variable NOPE is not set");
  });
  test(":? and ? fail with the given message", () => {
    expect(run("${EMPTY:?needed}").issues).toEqual(["required variable EMPTY is empty: needed"]);
    expect(run("${EMPTY?needed}").issues).toEqual([]);
    expect(run("${NOPE?gone}").issues).toEqual(["required variable NOPE is not set: gone"]);
  });
  test("malformed references fail", () => {
    for (const bad of ["$", "a $1", "${", "${A", "${1}", "${A!}"]) expect(run(bad).issues).toHaveLength(1);
  });
});

describe("values", () => {
  test("shell split", () => {
    expect(shellSplit(`sh -c "echo 'hi there'" a\\ b`)).toEqual(["sh", "-c", "echo 'hi there'", "a b"]);
    expect(shellSplit(`''  ""`)).toEqual(["", ""]);
    expect(shellSplit(`"a\\"b"`)).toEqual(['a"b']);
    expect(shellSplit(`"open`)).toBe('unterminated " quote');
  });
  test("sizes", () => {
    const r = reporter();
    expect(asBytes(r, scalar("512m"))).toBe(512 * 1024 ** 2);
    expect(asBytes(r, scalar("1g"))).toBe(1024 ** 3);
    expect(asBytes(r, scalar("1.5GB"))).toBe(1.5 * 1024 ** 3);
    expect(asBytes(r, scalar(1000))).toBe(1000);
    expect(asBytes(r, scalar("100k"))).toBe(102_400);
    expect(r.diags.issues).toEqual([]);
    expect(asBytes(r, scalar("12x"))).toBeUndefined();
  });
  test("durations", () => {
    const r = reporter();
    expect(asDurationMs(r, scalar("10s"))).toBe(10_000);
    expect(asDurationMs(r, scalar("1m30s"))).toBe(90_000);
    expect(asDurationMs(r, scalar("500ms"))).toBe(500);
    expect(asDurationMs(r, scalar("1h"))).toBe(3_600_000);
    expect(asDurationMs(r, scalar(5))).toBe(5000);
    expect(r.diags.issues).toEqual([]);
    expect(asDurationMs(r, scalar("10 seconds"))).toBeUndefined();
  });
});

describe("ports", () => {
  const cases: [string, string[]][] = [
    ["80", ["80/tcp"]],
    ["8080:80", ["8080:80/tcp"]],
    ["127.0.0.1:8080:80/udp", ["127.0.0.1:8080:80/udp"]],
    ["127.0.0.1::80", ["127.0.0.1::80/tcp"]],
    ["8000-8001:80-81", ["8000:80/tcp", "8001:81/tcp"]],
    ["3000-3001", ["3000/tcp", "3001/tcp"]],
    ["[::1]:53:53/udp", ["[::1]:53:53/udp"]],
  ];
  for (const [input, want] of cases)
    test(input, () => {
      const r = reporter();
      expect(shortPort(r, scalar(input), input)).toEqual(want);
      expect(r.diags.issues).toEqual([]);
    });
  test("invalid ports", () => {
    for (const bad of ["0", "70000", "80/icmp", "a:b", "8000-8001:80", "1:2:3:4", "81-80"]) {
      const r = reporter();
      expect(shortPort(r, scalar(bad), bad)).toEqual([]);
      expect(r.diags.issues).toHaveLength(1);
    }
  });
});
