import { describe, expect, test } from "bun:test";
import { formatSections, lineKey, mergeCustom, parseSections } from "./custom-config.ts";

describe("custom config", () => {
  test("parses sections, dropping comments and blank lines", () => {
    const sections = parseSections(
      "# top\nglobal\n  maxconn 10 # inline stays\n\nFrontend  80\n  bind :80\n",
    );
    expect(sections).toEqual([
      { header: "global", lines: ["maxconn 10 # inline stays"] },
      { header: "frontend 80", lines: ["bind :80"] },
    ]);
  });

  test("line keys: named keywords by name, repeatable ones never replace, `no` is the same key", () => {
    expect(lineKey("option forwardfor except 127.0.0.1")).toBe("option forwardfor");
    expect(lineKey("no option forwardfor")).toBe("option forwardfor");
    expect(lineKey("timeout client 1m")).toBe("timeout client");
    expect(lineKey("maxconn 10")).toBe("maxconn");
    expect(lineKey("http-request deny")).toBeNull();
    expect(lineKey("bind :81")).toBeNull();
  });

  test("lines before any section are kept first, for haproxy to judge", () => {
    const merged = mergeCustom(
      [{ header: "global", lines: ["maxconn 1"] }],
      "stray line\nglobal\n  maxconn 2",
    );
    expect(formatSections(merged)).toBe("    stray line\n\nglobal\n    maxconn 2\n");
  });

  test("a repeated custom key adds after the first replacement instead of replacing it", () => {
    const merged = mergeCustom(
      [{ header: "defaults", lines: ["errorfile 503 /a", "timeout client 5s"] }],
      "defaults\n  timeout client 1m\n  timeout client 2m\n",
    );
    expect(merged[0]!.lines).toEqual(["errorfile 503 /a", "timeout client 1m", "timeout client 2m"]);
  });
});
