import type { LdapConfig } from "../src/auth/ldap/config.ts";
import { activeDirectoryModule, openLdapModule } from "../src/auth/ldap/modules.ts";
import type { TestSlapd } from "./slapd.ts";
import { seedServiceAccount, seedSuffix } from "./slapd-seed.ts";

/** An `openldapconfig` for the test slapd, parsed by the module's own schema; `extra` overrides. */
export function openLdapTestConfig(slapd: TestSlapd, extra: Record<string, unknown> = {}): LdapConfig {
  return openLdapModule.configSchema.parse({
    server: "127.0.0.1",
    port: slapd.port,
    serviceAccountUsername: seedServiceAccount.dn,
    serviceAccountPassword: seedServiceAccount.password,
    domain: `ou=people,${seedSuffix}`,
    groupSearchDomain: `ou=groups,${seedSuffix}`,
    ...extra,
  });
}

/** An `ldapconfig` (Active Directory defaults) for the AD-style tree of the test slapd. */
export function activeDirectoryTestConfig(slapd: TestSlapd, extra: Record<string, unknown> = {}): LdapConfig {
  return activeDirectoryModule.configSchema.parse({
    server: "127.0.0.1",
    port: slapd.port,
    serviceAccountUsername: seedServiceAccount.dn,
    serviceAccountPassword: seedServiceAccount.password,
    domain: `ou=users,ou=ad,${seedSuffix}`,
    groupSearchDomain: `ou=groups,ou=ad,${seedSuffix}`,
    ...extra,
  });
}
