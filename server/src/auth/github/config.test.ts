import { describe, expect, test } from "bun:test";
import { githubConfigSchema, githubEndpoints } from "./config.ts";

function problems(input: unknown): string {
  const r = githubConfigSchema.safeParse(input);
  if (r.success) throw new Error("expected a refusal");
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
}

describe("githubconfig", () => {
  test("github.com by default", () => {
    const c = githubConfigSchema.parse({ clientId: "id", clientSecret: "secret" });
    expect(c).toEqual({ clientId: "id", clientSecret: "secret", hostname: "", scheme: "https://" });
    expect(githubEndpoints(c)).toEqual({ web: "https://github.com", api: "https://api.github.com" });
  });

  test("Enterprise by hostname: one host, API under /api/v3; scheme with or without ://", () => {
    const c = githubConfigSchema.parse({
      clientId: "id",
      clientSecret: "s",
      hostname: "GHE.example.test:8443",
      scheme: "https",
    });
    expect(githubEndpoints(c)).toEqual({
      web: "https://ghe.example.test:8443",
      api: "https://ghe.example.test:8443/api/v3",
    });
    const local = githubConfigSchema.parse({
      clientId: "id",
      clientSecret: "s",
      hostname: "127.0.0.1:3000",
      scheme: "http://",
    });
    expect(githubEndpoints(local).api).toBe("http://127.0.0.1:3000/api/v3");
  });

  test("garbage is refused with messages naming the field", () => {
    expect(problems({ clientSecret: "s" })).toContain("clientId: clientId is required");
    expect(problems({ clientId: "", clientSecret: "s" })).toContain("clientId is required");
    expect(problems({ clientId: "id" })).toContain("clientSecret: clientSecret is required");
    expect(problems({ clientId: "id", clientSecret: "s", hostname: "https://ghe.example.test" })).toContain(
      "hostname must be a host name",
    );
    expect(problems({ clientId: "id", clientSecret: "s", hostname: "ghe.example.test/path" })).toContain(
      "hostname",
    );
    expect(
      problems({ clientId: "id", clientSecret: "s", hostname: "ghe.example.test", scheme: "ftp" }),
    ).toContain("scheme must be https:// or http://");
    expect(
      problems({ clientId: "id", clientSecret: "s", hostname: "ghe.example.test", scheme: "http://" }),
    ).toContain("only allowed for a loopback hostname");
    expect(problems({ clientId: "id", clientSecret: "s", certificate: "nope" })).toContain("PEM");
    expect(problems({ clientId: ["id"], clientSecret: "s" })).toContain("clientId");
    expect(problems(undefined)).toBeTruthy();
  });
});
