import { describe, expect, test } from "bun:test";
import { oidcConfigSchema, oidcScopes } from "./config.ts";

function problems(input: unknown): string {
  const r = oidcConfigSchema.safeParse(input);
  if (r.success) throw new Error("expected a refusal");
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
}

describe("oidcconfig", () => {
  test("a minimal config gets the defaults", () => {
    const c = oidcConfigSchema.parse({ issuer: "https://id.example.test/realms/main", clientId: "corral" });
    expect(c).toEqual({
      issuer: "https://id.example.test/realms/main",
      clientId: "corral",
      clientSecret: "",
      groupsClaim: "groups",
    });
  });

  test("garbage is refused with messages naming the field", () => {
    expect(problems({ clientId: "c" })).toContain("issuer: issuer is required");
    expect(problems({ issuer: "not a url", clientId: "c" })).toContain('issuer "not a url" is not a URL');
    expect(problems({ issuer: "http://id.example.test", clientId: "c" })).toContain(
      "issuer must be an https URL",
    );
    expect(problems({ issuer: "ftp://id.example.test", clientId: "c" })).toContain(
      "issuer must be an https URL",
    );
    expect(problems({ issuer: "https://id.example.test/?a=1", clientId: "c" })).toContain(
      "must not carry a query",
    );
    expect(problems({ issuer: "https://u:p@id.example.test", clientId: "c" })).toContain("credentials");
    expect(problems({ issuer: "https://id.example.test" })).toContain("clientId: clientId is required");
    expect(problems({ issuer: "https://id.example.test", clientId: "  " })).toContain("clientId is required");
    expect(problems({ issuer: "https://id.example.test", clientId: 7 })).toContain("clientId");
    expect(problems({ issuer: "https://id.example.test", clientId: "c", clientSecret: 5 })).toContain(
      "clientSecret",
    );
    expect(problems({ issuer: "https://id.example.test", clientId: "c", scopes: 'openid "x"' })).toContain(
      "scopes",
    );
    expect(problems({ issuer: "https://id.example.test", clientId: "c", groupsClaim: "a b" })).toContain(
      "groupsClaim",
    );
    expect(problems({ issuer: "https://id.example.test", clientId: "c", certificate: "hello" })).toContain(
      "PEM",
    );
    expect(problems(null)).toBeTruthy();
    expect(problems("oidc")).toBeTruthy();
  });

  test("plain http is accepted on loopback only", () => {
    expect(oidcConfigSchema.safeParse({ issuer: "http://127.0.0.1:5556/dex", clientId: "c" }).success).toBe(
      true,
    );
    expect(oidcConfigSchema.safeParse({ issuer: "http://localhost:8080", clientId: "c" }).success).toBe(true);
    expect(oidcConfigSchema.safeParse({ issuer: "http://[::1]:8080", clientId: "c" }).success).toBe(true);
  });

  test("scopes: the default adds groups only where the issuer offers it; openid is always there", () => {
    const c = oidcConfigSchema.parse({ issuer: "https://id.example.test", clientId: "c" });
    expect(oidcScopes(c)).toBe("openid profile email");
    expect(oidcScopes(c, ["openid", "groups"])).toBe("openid profile email groups");
    expect(oidcScopes({ ...c, groupsClaim: "" }, ["groups"])).toBe("openid profile email");
    expect(oidcScopes({ ...c, scopes: "profile  read_api" }, ["groups"])).toBe("openid profile read_api");
  });
});
