import { describe, expect, test } from "bun:test";
import { isLoopback, redirectToHttps } from "./plain-http.ts";

describe("plain HTTP off loopback", () => {
  test("loopback is 127.0.0.0/8, ::1 and their IPv4-mapped form; nothing else", () => {
    for (const a of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1", "::FFFF:127.0.0.2"])
      expect(isLoopback(a)).toBe(true);
    for (const a of ["", "10.0.2.2", "172.17.0.1", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1", "localhost"])
      expect(isLoopback(a)).toBe(false);
  });

  test("the redirect keeps the host asked for, the path and the query, on the HTTPS port", () => {
    const r = redirectToHttps(new Request("http://10.0.0.5:8080/v2-beta/projects?limit=1"), 8443);
    expect(r.status).toBe(307);
    expect(r.headers.get("location")).toBe("https://10.0.0.5:8443/v2-beta/projects?limit=1");
    expect(redirectToHttps(new Request("http://[fd00::2]:8080/"), 8443).headers.get("location")).toBe(
      "https://[fd00::2]:8443/",
    );
    expect(redirectToHttps(new Request("http://corral.lan/x"), 443).headers.get("location")).toBe(
      "https://corral.lan/x",
    );
    // A path that looks like another host stays on this one.
    expect(redirectToHttps(new Request("http://a:8080//other-host/x"), 8443).headers.get("location")).toBe(
      "https://a:8443//other-host/x",
    );
  });
});
