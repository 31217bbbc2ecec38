import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appErrorOf, testLdapProvider } from "../../../testing/ldap-configs.ts";
import { startSlapd, type TestSlapd } from "../../../testing/slapd.ts";
import { seedChainLength, seedSuffix, seedUsers } from "../../../testing/slapd-seed.ts";
import type { PasswordProvider } from "../identity.ts";
import { maxNestingDepth } from "./groups.ts";
import { badCredentials } from "./provider.ts";

let slapd: TestSlapd;
const open: PasswordProvider[] = [];

beforeAll(async () => {
  slapd = await startSlapd();
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
  await slapd?.stop();
});

function provider(kind: "openldap" | "ad", extra: Record<string, unknown> = {}): PasswordProvider {
  return testLdapProvider(kind, slapd, extra, open);
}

const refusal = appErrorOf;

const g = (cn: string) => `cn=${cn},ou=groups,${seedSuffix}`;
const adG = (cn: string) => `cn=${cn},ou=groups,ou=ad,${seedSuffix}`;

describe("openldapconfig against a real slapd", () => {
  test("logs in and returns the user and its direct groups", async () => {
    const r = await provider("openldap").login("alice", "alice-pw");
    expect(r.user).toEqual({
      externalId: seedUsers.alice.dn,
      externalIdType: "ldap_user",
      name: "Alice Smith",
      login: "alice",
    });
    expect(r.groups).toEqual([{ externalId: g("devs"), externalIdType: "ldap_group", name: "devs" }]);
  });

  test("with nested groups on, follows groups of groups", async () => {
    const r = await provider("openldap", { nestedGroupMembershipEnabled: true }).login("alice", "alice-pw");
    expect(r.groups.map((x) => x.externalId).sort()).toEqual([g("devs"), g("everyone"), g("staff")].sort());
  });

  test("nesting stops at the depth bound on a chain longer than it", async () => {
    const r = await provider("openldap", { nestedGroupMembershipEnabled: true }).login("deep", "deep-pw");
    expect(r.groups.length).toBe(1 + maxNestingDepth);
    expect(maxNestingDepth).toBeLessThan(seedChainLength - 1);
    expect(r.groups.map((x) => x.name)).toContain(`chain-${maxNestingDepth}`);
    expect(r.groups.map((x) => x.name)).not.toContain(`chain-${maxNestingDepth + 1}`);
  });

  test("wrong password and unknown user get the same Unauthorized message", async () => {
    const p = provider("openldap");
    const wrong = await refusal(p.login("alice", "nope"));
    const unknown = await refusal(p.login("nobody", "nope"));
    for (const e of [wrong, unknown]) {
      expect(e.code).toBe("Unauthorized");
      expect(e.message).toBe(badCredentials);
      expect(JSON.stringify({ m: e.message, d: e.detail })).not.toContain("nope");
    }
  });

  test("an empty password is refused (an unauthenticated bind is never a login)", async () => {
    const e = await refusal(provider("openldap").login("alice", ""));
    expect(e.code).toBe("Unauthorized");
  });

  test("oversized or odd input is refused as bad credentials, without reaching further", async () => {
    const p = provider("openldap");
    for (const [u, pw] of [
      ["a".repeat(10_000), "alice-pw"],
      ["alice", "x".repeat(5000)],
      ["", "alice-pw"],
      [42 as unknown as string, "alice-pw"],
      ["alice", null as unknown as string],
    ] as const) {
      const e = await refusal(p.login(u, pw));
      expect(e.code).toBe("Unauthorized");
    }
  });

  test("filter metacharacters in the name match only themselves", async () => {
    const p = provider("openldap");
    for (const name of [
      "*",
      "alice*",
      "a*",
      "alice)(uid=*",
      "*)(|(uid=*",
      "alice)(|(objectClass=*",
      "\\2a",
      "al\u0000ice",
    ]) {
      const e = await refusal(p.login(name, "alice-pw"));
      expect(e.code).toBe("Unauthorized");
    }
    const odd = await p.login(seedUsers.odd.login, seedUsers.odd.password);
    expect(odd.user.externalId).toBe(seedUsers.odd.dn);
  });

  test("a user disabled by userEnabledAttribute/userDisabledBitMask is refused", async () => {
    const p = provider("openldap", { userEnabledAttribute: "userAccountControl", userDisabledBitMask: 2 });
    const e = await refusal(p.login("carol", "carol-pw"));
    expect(e.code).toBe("Unauthorized");
    expect(e.message).toContain("disabled");
    // The same user with a wrong password learns nothing about the account.
    expect((await refusal(p.login("carol", "wrong"))).message).toBe(badCredentials);
    // Without the check configured, carol logs in (the bit is what refused her).
    expect((await provider("openldap").login("carol", "carol-pw")).user.login).toBe("carol");
  });

  test("search finds users and groups by prefix, within the limit", async () => {
    const p = provider("openldap");
    const found = await p.search("al", 10);
    expect(found.map((x) => [x.externalIdType, x.externalId])).toEqual([["ldap_user", seedUsers.alice.dn]]);
    const groups = await p.search("st", 10);
    expect(groups).toEqual([{ externalId: g("staff"), externalIdType: "ldap_group", name: "staff" }]);
    expect((await p.search("", 3)).length).toBe(3);
    expect(await p.search("*", 10)).toEqual([]);
    expect(await p.search(")(uid=*", 10)).toEqual([]);
  });

  test("many logins at once on one provider all succeed", async () => {
    const p = provider("openldap");
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? p.login("alice", "alice-pw") : p.login("bob", "bob-pw"))),
    );
    expect(results.map((r) => r.user.login)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? "alice" : "bob")),
    );
  });

  test("a wrong service account password is a clear Unavailable naming the server", async () => {
    const e = await refusal(
      provider("openldap", { serviceAccountPassword: "wrong" }).login("alice", "alice-pw"),
    );
    expect(e.code).toBe("Unavailable");
    expect(e.message).toContain(`127.0.0.1:${slapd.port}`);
    expect(e.message).toContain("service account");
    expect(e.message).not.toContain("wrong");
  });
});

describe("ldapconfig (Active Directory defaults) against the AD-style tree", () => {
  test("logs in by sAMAccountName; memberOf and nested groups (with a cycle) are collected", async () => {
    const r = await provider("ad").login("alice", "ad-alice-pw");
    expect(r.user).toEqual({
      externalId: seedUsers.adAlice.dn,
      externalIdType: "ldap_user",
      name: "Alice Ad",
      login: "alice",
    });
    expect(r.groups.map((x) => x.externalId).sort()).toEqual(
      [adG("ad-all"), adG("ad-devs"), adG("ad-loop")].sort(),
    );
    expect(r.groups.find((x) => x.externalId === adG("ad-devs"))?.name).toBe("ad-devs");
  });

  test("without nesting, only the direct groups", async () => {
    const r = await provider("ad", { nestedGroupMembershipEnabled: false }).login("alice", "ad-alice-pw");
    expect(r.groups.map((x) => x.externalId)).toEqual([adG("ad-devs")]);
  });

  test("userAccountControl with bit 2 set refuses the user", async () => {
    const e = await refusal(provider("ad").login("dan", "ad-dan-pw"));
    expect(e.code).toBe("Unauthorized");
    expect(e.message).toContain("disabled");
  });

  test("DOMAIN\\user is accepted for the configured loginDomain only", async () => {
    const p = provider("ad", { loginDomain: "CORP" });
    expect((await p.login("corp\\alice", "ad-alice-pw")).user.login).toBe("alice");
    expect((await refusal(p.login("OTHER\\alice", "ad-alice-pw"))).code).toBe("Unauthorized");
  });
});
