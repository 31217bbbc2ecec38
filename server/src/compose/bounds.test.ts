// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose files, where ${VAR} is the syntax under test
// Bounds on how far a small compose file may grow: interpolation per value and per file, nesting of
// defaults, the parsed stack as a whole, and how many problems one answer lists.
import { describe, expect, test } from "bun:test";
import { D, issuesOf, svc } from "../../testing/compose-support.ts";
import { parseStack } from "./index.ts";
import { maxInterpolatedFileBytes, maxInterpolatedValueBytes, maxInterpolationDepth } from "./interpolate.ts";
import { maxReportedIssues } from "./issues.ts";
import { maxSpecBytes, overSizeAt } from "./spec-size.ts";

const kb = (n: number) => "x".repeat(n * 1024);

describe("interpolation bounds", () => {
  test("a value up to the bound expands", () => {
    const v = kb(1);
    const { spec } = parseStack({
      dockerCompose: svc(`    environment:\n      BIG: "${"${V}".repeat(127)}"\n`),
      environment: { V: v },
    });
    expect(spec.services[0]?.launchConfig?.environment?.BIG).toHaveLength(127 * 1024);
  });

  test("a value past the per-value bound is refused at its key", () => {
    const issues = issuesOf(svc(`    environment:\n      BIG: "${"${V}".repeat(129)}"\n`), undefined, {
      V: kb(1),
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: D, line: 5, column: 12, path: "services.web.environment.BIG" });
    expect(issues[0]?.message).toContain(`more than ${maxInterpolatedValueBytes} bytes`);
  });

  test("values under the per-value bound that add up past the file bound are refused where they cross it", () => {
    // Nine values of 120 KiB: the ninth crosses 1 MiB.
    const lines = Array.from({ length: 9 }, (_, i) => `      E${i}: "${"${V}".repeat(120)}"\n`).join("");
    const issues = issuesOf(svc(`    environment:\n${lines}`), undefined, { V: kb(1) });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 13, path: "services.web.environment.E8" });
    expect(issues[0]?.message).toContain(`larger than ${maxInterpolatedFileBytes} bytes`);
  });

  test("the 400 KB probe (100,000 times a 1,000-character variable) is refused without expanding it", () => {
    const compose = svc(`    command: "${"${V}".repeat(100_000)}"\n`);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const issues = issuesOf(compose, undefined, { V: "v".repeat(1000) });
    const ms = performance.now() - t0;
    const grewMb = (process.memoryUsage().rss - before) / 1e6;
    expect(issues[0]).toMatchObject({ line: 4, column: 14, path: "services.web.command" });
    // Expanding it whole took 54 s and 3.6 GB; stopping at 128 KiB takes milliseconds.
    expect(ms).toBeLessThan(5000);
    expect(grewMb).toBeLessThan(100);
  });

  test("nesting of defaults is bounded, not a stack overflow", () => {
    const depth = 100_000;
    const text = `${"${A:-".repeat(depth)}x${"}".repeat(depth)}`;
    const issues = issuesOf(svc(`    command: "${text}"\n`));
    expect(issues[0]?.message).toContain(`deeper than ${maxInterpolationDepth}`);
    // Within the bound, nested defaults still work.
    const ok = `${"${A:-".repeat(maxInterpolationDepth)}x${"}".repeat(maxInterpolationDepth)}`;
    const { spec } = parseStack({ dockerCompose: svc(`    command: "${ok}"\n`) });
    expect(spec.services[0]?.launchConfig?.command).toEqual(["x"]);
  });

  test("a malformed huge value is quoted in part, not whole, in the message", () => {
    const issues = issuesOf(svc(`    command: "${"a".repeat(300_000)}$"\n`));
    expect(issues[0]?.message.length).toBeLessThan(300);
  });
});

describe("the parsed stack as a whole", () => {
  test("a deploy variable passed through to every service is refused past the stack bound", () => {
    const services = Array.from(
      { length: 50 },
      (_, i) => `  s${i}:\n    image: nginx\n    environment:\n      - V\n`,
    ).join("");
    const issues = issuesOf(`services:\n${services}`, undefined, { V: kb(100) });
    expect(issues[0]?.message).toContain(`more than ${maxSpecBytes} bytes`);
    expect(issues[0]?.message).toContain("environment.V");
  });

  test("overSizeAt names the path where the bound is passed", () => {
    expect(overSizeAt({ a: "x", b: ["y", "z".repeat(100)] }, 50)).toBe("b[1]");
    expect(overSizeAt({ a: "x" }, 50)).toBeNull();
  });
});

describe("how many problems one answer lists", () => {
  test("a file of many bad values lists the first hundred and counts the rest", () => {
    const items = Array.from({ length: 5000 }, () => `      - "$"\n`).join("");
    let message = "";
    try {
      parseStack({ dockerCompose: svc(`    dns:\n${items}`) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split("\n")).toHaveLength(maxReportedIssues + 1);
    expect(message).toContain(`${5000 - maxReportedIssues} more problems not shown`);
  });
});
