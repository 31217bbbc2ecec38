import type { ProviderModule } from "../identity.ts";
import { type LdapConfig, type LdapDefaults, ldapConfigSchema, ldapSecretFields } from "./config.ts";
import { LdapProvider } from "./provider.ts";

const common = {
  port: 389,
  tls: false,
  startTls: false,
  certificate: "",
  groupSearchDomain: "",
  loginDomain: "",
  connectionTimeout: 5000,
} as const;

/** Rancher 1.6's `openldapconfig` defaults: inetOrgPerson users by uid, groupOfNames groups. */
export const openLdapDefaults: LdapDefaults = {
  ...common,
  userSearchField: "uid",
  userLoginField: "uid",
  userObjectClass: "inetOrgPerson",
  userNameField: "cn",
  userEnabledAttribute: "",
  userDisabledBitMask: 0,
  userMemberAttribute: "memberOf",
  groupObjectClass: "groupOfNames",
  groupNameField: "cn",
  groupSearchField: "cn",
  groupMemberMappingAttribute: "member",
  groupMemberUserAttribute: "entryDN",
  groupDNField: "entryDN",
  nestedGroupMembershipEnabled: false,
};

/** Rancher 1.6's `ldapconfig` (Active Directory) defaults: sAMAccountName, disabled bit 2, nested groups. */
export const activeDirectoryDefaults: LdapDefaults = {
  ...common,
  userSearchField: "sAMAccountName",
  userLoginField: "sAMAccountName",
  userObjectClass: "person",
  userNameField: "name",
  userEnabledAttribute: "userAccountControl",
  userDisabledBitMask: 2,
  userMemberAttribute: "memberOf",
  groupObjectClass: "group",
  groupNameField: "name",
  groupSearchField: "sAMAccountName",
  groupMemberMappingAttribute: "member",
  groupMemberUserAttribute: "distinguishedName",
  groupDNField: "distinguishedName",
  nestedGroupMembershipEnabled: true,
};

function ldapModule(configName: string, defaults: LdapDefaults): ProviderModule<LdapConfig> {
  return {
    configName,
    idTypes: ["ldap_user", "ldap_group"],
    configSchema: ldapConfigSchema(defaults),
    secretFields: ldapSecretFields,
    create: (config) => new LdapProvider(config),
  };
}

/** OpenLDAP (and other RFC 4519 directories) as Rancher's `openldapconfig`. */
export const openLdapModule = ldapModule("openldapconfig", openLdapDefaults);

/** Active Directory as Rancher's `ldapconfig`. */
export const activeDirectoryModule = ldapModule("ldapconfig", activeDirectoryDefaults);
