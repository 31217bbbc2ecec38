import { describe, expect, test } from "bun:test";
import { commandWords, refusalOf, resizeMessage } from "./exec-frames.ts";

describe("the shell's messages", () => {
  test("a resize is JSON with whole cols and rows; sizes out of range are not sent", () => {
    expect(resizeMessage(80, 24)).toBe('{"resize":{"cols":80,"rows":24}}');
    expect(resizeMessage(0, 24)).toBeNull();
    expect(resizeMessage(80, -1)).toBeNull();
    expect(resizeMessage(80.5, 24)).toBeNull();
    expect(resizeMessage(Number.NaN, 24)).toBeNull();
    expect(resizeMessage(5000, 24)).toBeNull();
  });

  test("the server's refusal shows its reason; other text shows as it came", () => {
    expect(refusalOf('{"refused":"a control message is JSON"}')).toBe("a control message is JSON");
    expect(refusalOf("null")).toBe("null");
    expect(refusalOf("plain words")).toBe("plain words");
    expect(refusalOf('{"refused":42}')).toBe('{"refused":42}');
  });

  test("the command field splits into words at spaces", () => {
    expect(commandWords("/bin/sh")).toEqual(["/bin/sh"]);
    expect(commandWords("  bash   -l ")).toEqual(["bash", "-l"]);
    expect(commandWords("   ")).toEqual([]);
  });
});
