import { AppError } from "@corral/lib";
import type { PasswordProvider } from "../src/auth/identity.ts";
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

/**
 * A provider for the test slapd (`openldap` or `ad` defaults, `extra` overriding), added to `open`
 * so the test closes it at the end.
 */
export function testLdapProvider(
  kind: "openldap" | "ad",
  slapd: TestSlapd,
  extra: Record<string, unknown>,
  open: PasswordProvider[],
): PasswordProvider {
  const p =
    kind === "openldap"
      ? openLdapModule.create(openLdapTestConfig(slapd, extra))
      : activeDirectoryModule.create(activeDirectoryTestConfig(slapd, extra));
  if (p.kind !== "password") throw new Error("an LDAP provider checks passwords");
  open.push(p);
  return p;
}

/** The AppError `work` fails with; throws when it succeeds or fails otherwise. */
export async function appErrorOf(work: Promise<unknown>): Promise<AppError> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}
