import { describe, expect, test } from "bun:test";
import { parseInput } from "../../services/input.ts";
import { activeDirectoryModule, openLdapModule } from "./modules.ts";

const minimal = {
  server: "ldap.example.com",
  serviceAccountUsername: "cn=reader,dc=example,dc=com",
  serviceAccountPassword: "s3cret",
  domain: "dc=example,dc=com",
};

function problems(schema: typeof openLdapModule.configSchema, body: unknown): string[] {
  const r = schema.safeParse(body);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("LDAP config schemas", () => {
  test("openldapconfig fills Rancher's OpenLDAP defaults", () => {
    const c = openLdapModule.configSchema.parse(minimal);
    expect(c).toMatchObject({
      port: 389,
      tls: false,
      startTls: false,
      userSearchField: "uid",
      userLoginField: "uid",
      userObjectClass: "inetOrgPerson",
      userNameField: "cn",
      groupObjectClass: "groupOfNames",
      groupMemberMappingAttribute: "member",
      groupMemberUserAttribute: "entryDN",
      userDisabledBitMask: 0,
      connectionTimeout: 5000,
      nestedGroupMembershipEnabled: false,
    });
  });

  test("tls without a port means 636; a given port is kept", () => {
    expect(openLdapModule.configSchema.parse({ ...minimal, tls: true }).port).toBe(636);
    expect(openLdapModule.configSchema.parse({ ...minimal, tls: true, port: 1636 }).port).toBe(1636);
    expect(activeDirectoryModule.configSchema.parse({ ...minimal, startTls: true }).port).toBe(389);
  });

  test("ldapconfig fills Rancher's Active Directory defaults", () => {
    const c = activeDirectoryModule.configSchema.parse(minimal);
    expect(c).toMatchObject({
      userSearchField: "sAMAccountName",
      userLoginField: "sAMAccountName",
      userObjectClass: "person",
      groupObjectClass: "group",
      userEnabledAttribute: "userAccountControl",
      userDisabledBitMask: 2,
      userMemberAttribute: "memberOf",
      nestedGroupMembershipEnabled: true,
    });
  });

  test("the service account password is the one secret field", () => {
    expect(openLdapModule.secretFields).toEqual(["serviceAccountPassword"]);
    expect(activeDirectoryModule.idTypes).toEqual(["ldap_user", "ldap_group"]);
  });

  test("garbage is refused field by field with clear messages", () => {
    const cases: [unknown, string][] = [
      [{}, "server: server is required"],
      [
        { ...minimal, server: "ldap://ldap.example.com:389" },
        "server: server must be a host name or IP address",
      ],
      [{ ...minimal, server: 42 }, "server: server is required"],
      [{ ...minimal, port: 0 }, "port: port must be from 1 to 65535"],
      [{ ...minimal, port: "389" }, "port: port must be a number"],
      [{ ...minimal, port: 3.5 }, "port: port must be a whole number"],
      [{ ...minimal, tls: "yes" }, "tls: tls must be true or false"],
      [{ ...minimal, tls: true, startTls: true }, "startTls: choose tls (ldaps://) or startTls, not both"],
      [
        { ...minimal, certificate: "not a pem" },
        "certificate: certificate must be one or more PEM CA certificates",
      ],
      [
        { ...minimal, certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" },
        "certificate: certificate must be one or more PEM CA certificates",
      ],
      [
        { ...minimal, serviceAccountUsername: "" },
        "serviceAccountUsername: serviceAccountUsername is required",
      ],
      [
        { ...minimal, serviceAccountPassword: "" },
        "serviceAccountPassword: serviceAccountPassword is required",
      ],
      [{ ...minimal, domain: "example.com" }, "domain: domain (the user search base) must be a DN"],
      [{ ...minimal, groupSearchDomain: "groups" }, "groupSearchDomain: groupSearchDomain must be a DN"],
      [
        { ...minimal, userLoginField: "uid)(cn=*" },
        "userLoginField: userLoginField must be an LDAP attribute",
      ],
      [{ ...minimal, userObjectClass: "" }, "userObjectClass: userObjectClass must be an LDAP attribute"],
      [
        { ...minimal, userDisabledBitMask: -1 },
        "userDisabledBitMask: userDisabledBitMask must not be negative",
      ],
      [
        { ...minimal, userEnabledAttribute: "flags", userDisabledBitMask: 0 },
        "userDisabledBitMask: userDisabledBitMask must be set (non-zero) when userEnabledAttribute is set",
      ],
      [{ ...minimal, connectionTimeout: 5 }, "connectionTimeout: connectionTimeout must be at least 100 ms"],
      [
        { ...minimal, connectionTimeout: 1e9 },
        "connectionTimeout: connectionTimeout must be at most 300000 ms",
      ],
      [
        { ...minimal, nestedGroupMembershipEnabled: 1 },
        "nestedGroupMembershipEnabled: nestedGroupMembershipEnabled must be true or false",
      ],
      [{ ...minimal, loginDomain: "CORP\\x" }, "loginDomain: loginDomain must be a domain name"],
    ];
    for (const [body, expected] of cases) {
      const found = problems(openLdapModule.configSchema, body);
      expect({ body, found: found.some((p) => p.startsWith(expected)) ? expected : found }).toEqual({
        body,
        found: expected,
      });
    }
  });

  test("through the API's input parser the first problem names the field", () => {
    expect(() => parseInput(openLdapModule.configSchema, { ...minimal, port: 70000 })).toThrow(
      "port: port must be from 1 to 65535",
    );
    expect(() => parseInput(activeDirectoryModule.configSchema, "garbage")).toThrow(
      "the body must be a JSON object",
    );
  });
});
