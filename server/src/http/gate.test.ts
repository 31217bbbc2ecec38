import { describe, expect, test } from "bun:test";
import { isJsonType } from "./body.ts";
import { refusal, secure } from "./gate.ts";

/** A request as Bun hands it over: the URL built from the Host header, which may be anything. */
function req(
  method: string,
  headers: Record<string, string>,
  url = "http://127.0.0.1:8080/v2-beta/stacks/1st1",
): Request {
  const r = new Request(url, { method });
  for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
  return r;
}
const own = ["https://corral.example.com"];
const codeOf = (r: Request) => refusal(r, own)?.code;

describe("the Host header", () => {
  test("names, addresses and ports pass", () => {
    for (const host of [
      "localhost",
      "127.0.0.1:8080",
      "[::1]:8080",
      "[fe80::1]",
      "corral.example.com",
      "a_b.lan:1",
    ])
      expect([host, codeOf(req("GET", { host }))]).toEqual([host, undefined]);
  });
  test("anything else is 400 InvalidHeader", () => {
    for (const host of [
      "",
      "a b",
      "a/b",
      "a, b",
      "[::1",
      "host:99999",
      "host:",
      "h\u00e9",
      "a@b",
      "-",
      ":80",
    ])
      expect([host, codeOf(req("GET", { host }))]).toEqual([host, "InvalidHeader"]);
    const noHost = new Request("http://x/ping");
    noHost.headers.delete("host");
    expect(codeOf(noHost)).toBe("InvalidHeader");
  });
});

describe("cross-site requests", () => {
  const host = "127.0.0.1:8080";
  test("a foreign Origin may not change state or open a websocket", () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"])
      expect(codeOf(req(method, { host, origin: "http://evil.example" }))).toBe("PermissionDenied");
    expect(codeOf(req("GET", { host, origin: "http://evil.example", upgrade: "websocket" }))).toBe(
      "PermissionDenied",
    );
    expect(codeOf(req("POST", { host, origin: "null" }))).toBe("PermissionDenied");
    // The same host on another port is another origin.
    expect(codeOf(req("POST", { host, origin: "http://127.0.0.1:9090" }))).toBe("PermissionDenied");
  });
  test("our own origin (either scheme), the public URL, or no Origin pass; reads are not checked", () => {
    expect(codeOf(req("POST", { host, origin: "http://127.0.0.1:8080" }))).toBeUndefined();
    expect(codeOf(req("POST", { host, origin: "https://127.0.0.1:8080" }))).toBeUndefined();
    expect(codeOf(req("DELETE", { host, origin: "https://corral.example.com" }))).toBeUndefined();
    expect(codeOf(req("POST", { host }))).toBeUndefined();
    expect(codeOf(req("GET", { host, origin: "http://evil.example" }))).toBeUndefined();
  });
  test("a state change must be JSON or untyped, body or not", () => {
    for (const type of [
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "text/plain",
      "application/jsonx",
      "text/json",
    ])
      expect([type, codeOf(req("POST", { host, "content-type": type }))]).toEqual([
        type,
        "UnsupportedMediaType",
      ]);
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON",
      "application/merge-patch+json",
    ])
      expect([type, codeOf(req("PUT", { host, "content-type": type }))]).toEqual([type, undefined]);
    expect(codeOf(req("GET", { host, "content-type": "text/plain" }))).toBeUndefined();
  });
  test("a declared body over the bound is refused before it is read", () => {
    expect(codeOf(req("POST", { host, "content-length": String(2 * 1024 * 1024) }))).toBe("TooLarge");
  });
});

test("isJsonType", () => {
  expect(isJsonType("application/json")).toBe(true);
  expect(isJsonType("application/vnd.api+json; charset=utf-8")).toBe(true);
  expect(isJsonType("application/x-json-not")).toBe(false);
});

test("every answer carries the security headers; no-store unless it says otherwise", () => {
  const a = secure(Response.json({}));
  expect(a.headers.get("x-content-type-options")).toBe("nosniff");
  expect(a.headers.get("x-frame-options")).toBe("DENY");
  expect(a.headers.get("referrer-policy")).toBe("no-referrer");
  expect(a.headers.get("content-security-policy")).toContain("default-src 'none'");
  expect(a.headers.get("cache-control")).toBe("no-store");
  const b = secure(new Response("x", { headers: { "Cache-Control": "max-age=60" } }));
  expect(b.headers.get("cache-control")).toBe("max-age=60");
});
