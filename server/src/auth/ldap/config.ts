import { X509Certificate } from "node:crypto";
import { z } from "zod";

/**
 * The settings of an LDAP or Active Directory provider, with Rancher 1.6's names
 * (`openldapconfig` / `ldapconfig`). Both share one shape; only the defaults differ.
 */
export interface LdapConfig {
  /** Host name or IP address of the directory server. */
  server: string;
  /** Default 389, or 636 when `tls` is on and no port is given. */
  port: number;
  /** Connect with ldaps:// (TLS from the first byte). */
  tls: boolean;
  /** Connect with ldap:// and upgrade with StartTLS before anything is sent. */
  startTls: boolean;
  /** PEM CA certificate(s) the server's certificate must chain to; empty = the system's CAs. */
  certificate: string;
  /** DN (or, for AD, `user`, `DOMAIN\user` or `user@domain`) the server searches as. */
  serviceAccountUsername: string;
  serviceAccountPassword: string;
  /** Search base for users (Rancher's `domain`). */
  domain: string;
  /** Search base for groups; empty = `domain`. */
  groupSearchDomain: string;
  /** AD NetBIOS domain: `DOMAIN\user` logins are accepted and a bare service account is qualified. */
  loginDomain: string;
  userSearchField: string;
  userLoginField: string;
  userObjectClass: string;
  userNameField: string;
  /** Attribute holding the enabled flags (AD `userAccountControl`); empty = no check. */
  userEnabledAttribute: string;
  /** A user whose `userEnabledAttribute` has any of these bits set is disabled (AD: 2). */
  userDisabledBitMask: number;
  /** Attribute of the user listing its groups' DNs (`memberOf`); empty = none. */
  userMemberAttribute: string;
  groupObjectClass: string;
  groupNameField: string;
  groupSearchField: string;
  /** Attribute of a group listing its members (`member`, `memberUid`). */
  groupMemberMappingAttribute: string;
  /** Attribute of the user whose value a group lists (`entryDN`/`distinguishedName` = the DN). */
  groupMemberUserAttribute: string;
  /** Attribute holding a group's DN; accepted for Rancher compatibility, the entry's DN is used. */
  groupDNField: string;
  /** Milliseconds allowed for connecting and for each operation. */
  connectionTimeout: number;
  nestedGroupMembershipEnabled: boolean;
}

/** The defaults of one flavour (everything but the server, accounts and search base). */
export type LdapDefaults = Omit<
  LdapConfig,
  "server" | "serviceAccountUsername" | "serviceAccountPassword" | "domain"
>;

/** Fields of an LDAP config that are secrets (stored sealed, never returned). */
export const ldapSecretFields = ["serviceAccountPassword"] as const;

const attrPattern = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$/;

function attribute(what: string, optional = false) {
  return z
    .string({ error: `${what} must be a string` })
    .trim()
    .max(128, `${what} is too long`)
    .refine((v) => (optional && v === "") || attrPattern.test(v), {
      error: `${what} must be an LDAP attribute or object class name (letters, digits and hyphens${optional ? ", or empty" : ""})`,
    });
}

function dn(what: string, optional = false) {
  return z
    .string({ error: `${what} must be a string` })
    .trim()
    .max(1024, `${what} is too long`)
    .refine((v) => (optional && v === "") || /^[A-Za-z0-9.-]+=[^=]/.test(v), {
      error: `${what} must be a DN such as dc=example,dc=com${optional ? " (or empty)" : ""}`,
    });
}

function validPem(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}

/** Builds the zod schema of one flavour: every field optional except the server, accounts and base. */
export function ldapConfigSchema(defaults: LdapDefaults): z.ZodType<LdapConfig> {
  const bool = (what: string, d: boolean) => z.boolean({ error: `${what} must be true or false` }).default(d);
  return (
    z
      .object({
        server: z
          .string({ error: "server is required (host name or IP address of the LDAP server)" })
          .trim()
          .min(1, "server is required (host name or IP address of the LDAP server)")
          .max(253, "server is too long")
          .regex(
            /^[A-Za-z0-9.:[\]-]+$/,
            "server must be a host name or IP address, without ldap:// or a port",
          ),
        port: z
          .number({ error: "port must be a number from 1 to 65535" })
          .int("port must be a whole number")
          .min(1, "port must be from 1 to 65535")
          .max(65535, "port must be from 1 to 65535")
          .optional(),
        tls: bool("tls", defaults.tls),
        startTls: bool("startTls", defaults.startTls),
        certificate: z
          .string({ error: "certificate must be a PEM string" })
          .max(65536, "certificate is too long")
          .refine((v) => v.trim() === "" || validPem(v), {
            error: "certificate must be one or more PEM CA certificates (-----BEGIN CERTIFICATE-----)",
          })
          .default(defaults.certificate),
        serviceAccountUsername: z
          .string({ error: "serviceAccountUsername is required (the account the server searches with)" })
          .trim()
          .min(1, "serviceAccountUsername is required (the account the server searches with)")
          .max(1024, "serviceAccountUsername is too long"),
        serviceAccountPassword: z
          .string({ error: "serviceAccountPassword is required" })
          .min(1, "serviceAccountPassword is required")
          .max(1024, "serviceAccountPassword is too long"),
        domain: dn("domain (the user search base)"),
        groupSearchDomain: dn("groupSearchDomain", true).default(defaults.groupSearchDomain),
        loginDomain: z
          .string({ error: "loginDomain must be a string" })
          .trim()
          .max(64, "loginDomain is too long")
          .regex(/^[A-Za-z0-9.-]*$/, "loginDomain must be a domain name such as CORP (letters, digits, dots)")
          .default(defaults.loginDomain),
        userSearchField: attribute("userSearchField").default(defaults.userSearchField),
        userLoginField: attribute("userLoginField").default(defaults.userLoginField),
        userObjectClass: attribute("userObjectClass").default(defaults.userObjectClass),
        userNameField: attribute("userNameField").default(defaults.userNameField),
        userEnabledAttribute: attribute("userEnabledAttribute", true).default(defaults.userEnabledAttribute),
        userDisabledBitMask: z
          .number({ error: "userDisabledBitMask must be a number (0 = no check)" })
          .int("userDisabledBitMask must be a whole number")
          .min(0, "userDisabledBitMask must not be negative")
          .max(0xffffffff, "userDisabledBitMask must fit in 32 bits")
          .default(defaults.userDisabledBitMask),
        userMemberAttribute: attribute("userMemberAttribute", true).default(defaults.userMemberAttribute),
        groupObjectClass: attribute("groupObjectClass").default(defaults.groupObjectClass),
        groupNameField: attribute("groupNameField").default(defaults.groupNameField),
        groupSearchField: attribute("groupSearchField").default(defaults.groupSearchField),
        groupMemberMappingAttribute: attribute("groupMemberMappingAttribute").default(
          defaults.groupMemberMappingAttribute,
        ),
        groupMemberUserAttribute: attribute("groupMemberUserAttribute").default(
          defaults.groupMemberUserAttribute,
        ),
        groupDNField: attribute("groupDNField").default(defaults.groupDNField),
        connectionTimeout: z
          .number({ error: "connectionTimeout must be a number of milliseconds" })
          .int("connectionTimeout must be a whole number of milliseconds")
          .min(100, "connectionTimeout must be at least 100 ms")
          .max(300_000, "connectionTimeout must be at most 300000 ms (5 minutes)")
          .default(defaults.connectionTimeout),
        nestedGroupMembershipEnabled: bool(
          "nestedGroupMembershipEnabled",
          defaults.nestedGroupMembershipEnabled,
        ),
      })
      // Without a port, ldaps gets its own well-known one (636) and everything else the default.
      .transform((c) => ({ ...c, port: c.port ?? (c.tls ? 636 : defaults.port) }))
      .superRefine((c, ctx) => {
        if (c.tls && c.startTls)
          ctx.addIssue({
            code: "custom",
            path: ["startTls"],
            message: "choose tls (ldaps://) or startTls, not both",
          });
        if (c.userEnabledAttribute !== "" && c.userDisabledBitMask === 0)
          ctx.addIssue({
            code: "custom",
            path: ["userDisabledBitMask"],
            message: "userDisabledBitMask must be set (non-zero) when userEnabledAttribute is set",
          });
      }) as z.ZodType<LdapConfig>
  );
}
