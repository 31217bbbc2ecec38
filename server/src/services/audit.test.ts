import { describe, expect, test } from "bun:test";
import { auditCopy, auditLimits } from "./audit.ts";

const size = (v: unknown) => JSON.stringify(v).length;

describe("what an audit row keeps of a body", () => {
  test("an ordinary body is kept whole, secrets redacted", () => {
    const body = { name: "web", environment: { DB_PASSWORD: "p", MODE: "prod" }, ports: ["80:80"] };
    expect(auditCopy(body)).toEqual({
      value: { name: "web", environment: { DB_PASSWORD: "<redacted>", MODE: "prod" }, ports: ["80:80"] },
      truncated: false,
    });
  });

  test("a body near 1 MiB in one string is cut to the bound, marked", () => {
    const { value, truncated } = auditCopy({ dockerCompose: "x".repeat(1_000_000) });
    expect(truncated).toBe(true);
    expect((value as { dockerCompose: string }).dockerCompose).toEndWith(
      `...(+${1_000_000 - auditLimits.string} chars)`,
    );
  });

  test("an object of 50,000 keys keeps the first hundred and says how many were left out", () => {
    const body = {
      environment: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`K${i}`, "v"])),
    };
    const { value, truncated } = auditCopy(body);
    const env = (value as { environment: Record<string, string> }).environment;
    expect(truncated).toBe(true);
    expect(Object.keys(env)).toHaveLength(auditLimits.keys + 1);
    expect(env["..."]).toBe(`+${50_000 - auditLimits.keys} keys`);
  });

  test("many medium strings stop at the byte bound", () => {
    const body = { list: Array.from({ length: 90 }, () => "y".repeat(4000)) };
    const { value, truncated } = auditCopy(body);
    expect(truncated).toBe(true);
    expect(size(value)).toBeLessThan(auditLimits.bytes + 1024);
    expect((value as { list: string[] }).list.at(-1)).toMatch(/^\.\.\.\(\+\d+ items\)$/);
  });

  test("deep nesting and huge keys are bounded", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const d = auditCopy(deep);
    expect(d.truncated).toBe(true);
    expect(size(d.value)).toBeLessThan(200);
    const k = auditCopy({ ["k".repeat(100_000)]: 1 });
    expect(size(k.value)).toBeLessThan(400);
  });

  test("whatever the body, the copy stays under the bound", () => {
    const bodies: unknown[] = [
      Array.from({ length: 100_000 }, (_, i) => i),
      { a: Array.from({ length: 1000 }, () => ({ b: "z".repeat(500), c: [1, 2, 3] })) },
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, "q".repeat(1000)])),
    ];
    for (const b of bodies) expect(size(auditCopy(b).value)).toBeLessThan(auditLimits.bytes + 1024);
  });
});
