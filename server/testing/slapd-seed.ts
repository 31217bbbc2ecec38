/**
 * The directory the test slapd starts with: an OpenLDAP-style tree (inetOrgPerson users,
 * groupOfNames groups) and an Active-Directory-style tree (person users with sAMAccountName,
 * userAccountControl and memberOf; `group` groups), with nested groups, a cycle, and disabled users.
 */

/** The suffix of the test directory. */
export const seedSuffix = "dc=corral,dc=test";

/** The service account the providers search with. */
export const seedServiceAccount = { dn: `cn=reader,ou=system,${seedSuffix}`, password: "reader-pw" };

/** Test users: login name, password, DN. */
export const seedUsers = {
  alice: { login: "alice", password: "alice-pw", dn: `uid=alice,ou=people,${seedSuffix}` },
  bob: { login: "bob", password: "bob-pw", dn: `uid=bob,ou=people,${seedSuffix}` },
  /** Disabled by its userAccountControl bit 2 (tested through `userEnabledAttribute`). */
  carol: { login: "carol", password: "carol-pw", dn: `uid=carol,ou=people,${seedSuffix}` },
  /** A login name full of filter metacharacters: it must match only itself. */
  odd: { login: "o(d)d*", password: "odd-pw", dn: `uid=o(d)d*,ou=people,${seedSuffix}` },
  /** Member of chain-0, which is in chain-1, ... up to chain-{@link seedChainLength}-1. */
  deep: { login: "deep", password: "deep-pw", dn: `uid=deep,ou=people,${seedSuffix}` },
  adAlice: { login: "alice", password: "ad-alice-pw", dn: `cn=Alice Ad,ou=users,ou=ad,${seedSuffix}` },
  adDan: { login: "dan", password: "ad-dan-pw", dn: `cn=Dan Disabled,ou=users,ou=ad,${seedSuffix}` },
} as const;

/** Length of the chain of nested groups above the user `deep` (longer than the nesting bound). */
export const seedChainLength = 14;

/**
 * A small schema standing in for Active Directory's: `userAccountControl`, `sAMAccountName` and
 * `memberOf` on users (auxiliary class), and a structural `group` class. OIDs sit under a private
 * test arc; slapd only needs them unique.
 */
export const adTestSchema = `
attributetype ( 1.3.6.1.4.1.99999.7.1.1 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.7.1.2 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.7.1.3 NAME 'memberOf'
  EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.3.6.1.4.1.99999.7.2.1 NAME 'corralTestAdUser' SUP top AUXILIARY
  MAY ( userAccountControl $ sAMAccountName $ memberOf ) )
objectclass ( 1.3.6.1.4.1.99999.7.2.2 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ sAMAccountName $ memberOf $ description ) )
`;

function user(dn: string, attrs: Record<string, string | string[]>): string {
  const lines = [`dn: ${dn}`];
  for (const [k, v] of Object.entries(attrs)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
  return lines.join("\n");
}

const s = seedSuffix;
const person = ["top", "person", "organizationalPerson", "inetOrgPerson"];
const adPerson = [...person, "corralTestAdUser"];

/** The LDIF loaded with slapadd before slapd starts. */
export const seedLdif = [
  user(s, { objectClass: ["top", "dcObject", "organization"], dc: "corral", o: "Corral test" }),
  ...["system", "people", "groups", "ad"].map((ou) =>
    user(`ou=${ou},${s}`, { objectClass: ["top", "organizationalUnit"], ou }),
  ),
  ...["users", "groups"].map((ou) =>
    user(`ou=${ou},ou=ad,${s}`, { objectClass: ["top", "organizationalUnit"], ou }),
  ),
  user(seedServiceAccount.dn, {
    objectClass: ["top", "organizationalRole", "simpleSecurityObject"],
    cn: "reader",
    userPassword: seedServiceAccount.password,
  }),
  user(seedUsers.alice.dn, {
    objectClass: person,
    uid: "alice",
    cn: "Alice Smith",
    sn: "Smith",
    userPassword: "alice-pw",
  }),
  user(seedUsers.bob.dn, {
    objectClass: person,
    uid: "bob",
    cn: "Bob Jones",
    sn: "Jones",
    userPassword: "bob-pw",
  }),
  user(seedUsers.carol.dn, {
    objectClass: adPerson,
    uid: "carol",
    cn: "Carol Gone",
    sn: "Gone",
    userPassword: "carol-pw",
    userAccountControl: "514",
  }),
  user(seedUsers.odd.dn, {
    objectClass: person,
    uid: "o(d)d*",
    cn: "Odd Name",
    sn: "Name",
    userPassword: "odd-pw",
  }),
  // alice is in devs; devs is in staff; staff is in everyone (two levels of nesting). bob is in ops.
  user(`cn=devs,ou=groups,${s}`, {
    objectClass: ["top", "groupOfNames"],
    cn: "devs",
    member: seedUsers.alice.dn,
  }),
  user(`cn=staff,ou=groups,${s}`, {
    objectClass: ["top", "groupOfNames"],
    cn: "staff",
    member: `cn=devs,ou=groups,${s}`,
  }),
  user(`cn=everyone,ou=groups,${s}`, {
    objectClass: ["top", "groupOfNames"],
    cn: "everyone",
    member: `cn=staff,ou=groups,${s}`,
  }),
  user(`cn=ops,ou=groups,${s}`, {
    objectClass: ["top", "groupOfNames"],
    cn: "ops",
    member: seedUsers.bob.dn,
  }),
  user(seedUsers.deep.dn, {
    objectClass: person,
    uid: "deep",
    cn: "Deep Chain",
    sn: "Chain",
    userPassword: "deep-pw",
  }),
  ...Array.from({ length: seedChainLength }, (_, i) =>
    user(`cn=chain-${i},ou=groups,${s}`, {
      objectClass: ["top", "groupOfNames"],
      cn: `chain-${i}`,
      member: i === 0 ? seedUsers.deep.dn : `cn=chain-${i - 1},ou=groups,${s}`,
    }),
  ),
  // The AD-style tree: memberOf on users lists direct groups; groups nest by member, with a cycle.
  user(seedUsers.adAlice.dn, {
    objectClass: adPerson,
    cn: "Alice Ad",
    sn: "Ad",
    sAMAccountName: "alice",
    userAccountControl: "512",
    userPassword: "ad-alice-pw",
    memberOf: `cn=ad-devs,ou=groups,ou=ad,${s}`,
  }),
  user(seedUsers.adDan.dn, {
    objectClass: adPerson,
    cn: "Dan Disabled",
    sn: "Disabled",
    sAMAccountName: "dan",
    userAccountControl: "514",
    userPassword: "ad-dan-pw",
  }),
  user(`cn=ad-devs,ou=groups,ou=ad,${s}`, { objectClass: "group", cn: "ad-devs", sAMAccountName: "ad-devs" }),
  user(`cn=ad-all,ou=groups,ou=ad,${s}`, {
    objectClass: "group",
    cn: "ad-all",
    sAMAccountName: "ad-all",
    member: [`cn=ad-devs,ou=groups,ou=ad,${s}`, `cn=ad-loop,ou=groups,ou=ad,${s}`],
  }),
  user(`cn=ad-loop,ou=groups,ou=ad,${s}`, {
    objectClass: "group",
    cn: "ad-loop",
    sAMAccountName: "ad-loop",
    member: `cn=ad-all,ou=groups,ou=ad,${s}`,
  }),
]
  .map((e) => `${e}\n`)
  .join("\n");
