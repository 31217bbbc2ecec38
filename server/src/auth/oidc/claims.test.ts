import { describe, expect, test } from "bun:test";
import { identitiesFromClaims } from "./claims.ts";

describe("identitiesFromClaims", () => {
  test("name falls back to preferred_username, then email, then sub", () => {
    expect(
      identitiesFromClaims({ sub: "1", name: "Ann", preferred_username: "ann" }, "groups").user.name,
    ).toBe("Ann");
    expect(identitiesFromClaims({ sub: "1", email: "a@x.test" }, "groups").user).toEqual({
      externalId: "1",
      externalIdType: "oidc_user",
      name: "a@x.test",
      login: "a@x.test",
    });
    expect(identitiesFromClaims({ sub: "1", name: "  " }, "groups").user.name).toBe("1");
  });

  test("groups: a list, one string, a dotted path; duplicates and non-strings dropped", () => {
    const names = (claims: Record<string, unknown>, claim: string) =>
      identitiesFromClaims({ sub: "1", ...claims }, claim).groups.map((g) => g.externalId);
    expect(names({ groups: ["a", "b", "a", 3, null, { x: 1 }] }, "groups")).toEqual(["a", "b"]);
    expect(names({ groups: "solo" }, "groups")).toEqual(["solo"]);
    expect(names({ realm_access: { roles: ["admin"] } }, "realm_access.roles")).toEqual(["admin"]);
    expect(names({ "https://corral/groups": ["g"] }, "https://corral/groups")).toEqual(["g"]);
    expect(names({ groups: ["a"] }, "")).toEqual([]);
    expect(names({}, "groups")).toEqual([]);
  });

  test("only an http(s) profile claim becomes the profile URL", () => {
    expect(identitiesFromClaims({ sub: "1", profile: "https://x.test/u/1" }, "").user.profileUrl).toBe(
      "https://x.test/u/1",
    );
    expect(
      identitiesFromClaims({ sub: "1", profile: "javascript:alert(1)" }, "").user.profileUrl,
    ).toBeUndefined();
  });

  test("a claim set without sub is refused", () => {
    expect(() => identitiesFromClaims({ name: "x" }, "groups")).toThrow("sub");
  });
});
