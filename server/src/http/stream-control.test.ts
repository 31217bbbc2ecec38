import { describe, expect, test } from "bun:test";
import { execControlProtocol, offersControl, parseControl } from "./stream-control.ts";

const upgrade = (protocols?: string) =>
  new Request(
    "http://x/v2-beta/streams",
    protocols ? { headers: { "Sec-WebSocket-Protocol": protocols } } : {},
  );

describe("exec control messages", () => {
  test("a resize with whole cols and rows is read", () => {
    expect(parseControl('{"resize":{"cols":120,"rows":40}}')).toEqual({ resize: { cols: 120, rows: 40 } });
    expect(parseControl('{"resize":{"cols":1,"rows":4096}}')).toEqual({ resize: { cols: 1, rows: 4096 } });
  });

  test("garbage is refused with a reason, never thrown", () => {
    for (const text of [
      "",
      "not json",
      "null",
      "42",
      '"resize"',
      "[]",
      "{}",
      '{"resize":null}',
      '{"resize":{"cols":"80","rows":"24"}}',
      '{"resize":{"cols":80}}',
      '{"resize":{"cols":-1,"rows":24}}',
      '{"resize":{"cols":0,"rows":24}}',
      '{"resize":{"cols":80,"rows":24.5}}',
      '{"resize":{"cols":80,"rows":1e9}}',
      '{"resize":{"cols":4097,"rows":24}}',
      '{"resize":{"cols":80,"rows":24,"x":1}}',
      `{"resize":{"cols":80,"rows":24},"pad":"${"x".repeat(2000)}"}`,
    ]) {
      const result = parseControl(text);
      expect([text.slice(0, 60), "refused" in result]).toEqual([text.slice(0, 60), true]);
    }
    expect(parseControl('{"resize":{"cols":-1,"rows":24}}')).toEqual({
      refused: "resize needs whole cols and rows from 1 to 4096",
    });
  });

  test("the subprotocol is chosen only when offered", () => {
    expect(offersControl(upgrade())).toBe(false);
    expect(offersControl(upgrade("chat"))).toBe(false);
    expect(offersControl(upgrade(execControlProtocol))).toBe(true);
    expect(offersControl(upgrade(`chat, ${execControlProtocol}`))).toBe(true);
  });
});
