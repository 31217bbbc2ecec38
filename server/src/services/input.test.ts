import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { z } from "zod";
import { parseInput } from "./input.ts";

const schema = z.strictObject({
  name: z.string().max(8),
  kind: z.enum(["a", "b"]).optional(),
  nested: z.object({ port: z.number().int() }).optional(),
});

function codeOf(body: unknown): {
  code: string;
  message: string;
  detail: { field: string; rancherCode: string }[];
} {
  try {
    parseInput(schema, body);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    return { code: err.code, message: err.message, detail: err.detail as never };
  }
  throw new Error("expected a refusal");
}

describe("Rancher error codes of bad input", () => {
  test("an absent required field is MissingRequired, and so is null", () => {
    expect(codeOf({}).code).toBe("MissingRequired");
    expect(codeOf({ name: null }).code).toBe("MissingRequired");
  });
  test("a present field of the wrong type is InvalidFormat", () => {
    expect(codeOf({ name: 5 }).code).toBe("InvalidFormat");
    expect(codeOf({ name: ["a"] }).code).toBe("InvalidFormat");
    expect(codeOf({ name: "ok", nested: { port: "80" } })).toMatchObject({
      code: "InvalidFormat",
      message: expect.stringContaining("nested.port"),
    });
  });
  test("too long, unknown fields and values outside an enum", () => {
    expect(codeOf({ name: "123456789" }).code).toBe("InvalidFormat");
    expect(codeOf({ name: "ok", extra: 1 }).code).toBe("InvalidFormat");
    expect(codeOf({ name: "ok", kind: "c" }).code).toBe("InvalidOption");
  });
  test("a wrong type wins over a missing field, and each field carries its own code", () => {
    const r = codeOf({ nested: { port: "x" } });
    expect(r.code).toBe("InvalidFormat");
    expect(r.detail.map((d) => [d.field, d.rancherCode])).toEqual(
      expect.arrayContaining([
        ["name", "MissingRequired"],
        ["nested.port", "InvalidFormat"],
      ]),
    );
  });
  test("a body with thousands of bad fields lists a bounded number of them", () => {
    const body = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const r = codeOf({ name: "ok", ...body });
    expect(r.message.length).toBeLessThanOrEqual(500);
    expect(JSON.stringify(r.detail).length).toBeLessThan(10_000);
  });
  test("bodies that are not objects", () => {
    for (const body of [null, [], "x", 3]) expect(codeOf(body).code).toBe("InvalidBodyContent");
  });
});
