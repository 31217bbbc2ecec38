import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import type { ResourceDef } from "./definition.ts";
import { parseCollectionParams } from "./query-params.ts";
import { commonFields } from "./resources/common.ts";

const def = {
  type: "service",
  collection: "services",
  scoped: true,
  fields: {
    ...commonFields,
    scale: { type: "int", filter: true },
    global: { type: "boolean", filter: true },
    kind: { type: "enum", options: ["service", "loadBalancerService"], filter: true },
  },
  actions: {},
  present: () => ({}),
} as unknown as ResourceDef;

const parse = (query: string) => parseCollectionParams(def, new URL(`http://h/v2-beta/services?${query}`));
const codeOf = (query: string): string | undefined => {
  try {
    parse(query);
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : "not an AppError";
  }
};

describe("filter values the field's type cannot hold", () => {
  test("dates: ISO 8601 and milliseconds pass, anything else is InvalidFormat", () => {
    expect(codeOf("created_gt=2026-01-01T00:00:00Z")).toBeUndefined();
    expect(codeOf("created_lte=1700000000000")).toBeUndefined();
    expect(codeOf("removed_null=")).toBeUndefined();
    for (const bad of ["abc", "2026-13-45", "1e5", "-1", "", "Tuesday"])
      expect([bad, codeOf(`created_gt=${encodeURIComponent(bad)}`)]).toEqual([bad, "InvalidFormat"]);
    expect(codeOf("removed=yesterday")).toBe("InvalidFormat");
  });
  test("integers and booleans", () => {
    expect(codeOf("scale=3&scale_gte=-1")).toBeUndefined();
    expect(codeOf("scale=many")).toBe("InvalidFormat");
    expect(codeOf("scale_lt=1.5")).toBe("InvalidFormat");
    expect(codeOf("scale=99999999999999999999")).toBe("InvalidFormat");
    expect(codeOf("global=true")).toBeUndefined();
    expect(codeOf("global=yes")).toBe("InvalidFormat");
  });
  test("enums: a value outside the options is InvalidOption; substring modifiers take any text", () => {
    expect(codeOf("kind=service")).toBeUndefined();
    expect(codeOf("kind=nope")).toBe("InvalidOption");
    expect(codeOf("kind_like=Balancer")).toBeUndefined();
    expect(codeOf("name_prefix=abc")).toBeUndefined();
  });
});
