/**
 * Small fake provider modules for the generic login paths (config resources, sealed secrets,
 * account find-or-create, access modes, redirect round trips). They stand in for LDAP and OAuth
 * only in tests of that logic; the real providers are tested against real servers.
 */
import { AppError } from "@corral/lib";
import { z } from "zod";
import type { Identity, LoginResult, ProviderModule } from "../src/auth/identity.ts";

/** One person the fake directory knows. */
export interface FakePerson {
  password: string;
  user: Identity;
  groups: Identity[];
}

/** The fake directory the providers read, changeable by tests; `down` makes every call fail. */
export interface FakeDirectory {
  people: Map<string, FakePerson>;
  down: boolean;
  /** The service password the provider was built with (checks the secret survived sealing). */
  lastBindSecret?: string;
}

/** A person of the fake LDAP with their groups. */
export function ldapPerson(login: string, password: string, groups: string[]): FakePerson {
  return {
    password,
    user: {
      externalId: `uid=${login},ou=people,dc=test`,
      externalIdType: "ldap_user",
      name: `${login} Person`,
      login,
    },
    groups: groups.map((g) => ({
      externalId: `cn=${g},ou=groups,dc=test`,
      externalIdType: "ldap_group",
      name: g,
    })),
  };
}

const ldapSchema = z.strictObject({
  server: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(389),
  serviceAccountPassword: z.string().min(1).max(1024),
});

/** A password provider module named `fakeldapconfig`; its secret field is `serviceAccountPassword`. */
export function fakeLdapModule(dir: FakeDirectory): ProviderModule<z.infer<typeof ldapSchema>> {
  return {
    configName: "fakeldapconfig",
    idTypes: ["ldap_user", "ldap_group"],
    configSchema: ldapSchema as z.ZodType<z.infer<typeof ldapSchema>>,
    secretFields: ["serviceAccountPassword"],
    create(config) {
      dir.lastBindSecret = config.serviceAccountPassword;
      return {
        kind: "password",
        async login(username: string, password: string): Promise<LoginResult> {
          if (dir.down) throw new AppError("Unavailable", `cannot reach ${config.server}:${config.port}`);
          const person = dir.people.get(username);
          if (!person || person.password !== password)
            throw new AppError("Unauthorized", "invalid credentials");
          return { user: person.user, groups: person.groups };
        },
        async search() {
          return [];
        },
        async close() {},
      };
    },
  };
}

const oauthSchema = z.strictObject({
  clientId: z.string().min(1).max(255),
  clientSecret: z.string().min(1).max(1024),
});

/**
 * A redirect provider module named `fakeoauthconfig`: its authorize URL is on `idp.invalid`, and a
 * code `code-<login>` exchanges to that person of the directory (any other code is refused).
 */
export function fakeOauthModule(dir: FakeDirectory): ProviderModule<z.infer<typeof oauthSchema>> {
  return {
    configName: "fakeoauthconfig",
    idTypes: ["oidc_user", "oidc_group"],
    configSchema: oauthSchema as z.ZodType<z.infer<typeof oauthSchema>>,
    secretFields: ["clientSecret"],
    create(config) {
      return {
        kind: "redirect",
        async authorizeUrl(state: string, redirectUri: string) {
          const q = new URLSearchParams({ client_id: config.clientId, state, redirect_uri: redirectUri });
          return `https://idp.invalid/authorize?${q}`;
        },
        async exchange(code: string): Promise<LoginResult> {
          if (dir.down) throw new AppError("Unavailable", "the identity provider does not answer");
          const person = code.startsWith("code-") ? dir.people.get(code.slice(5)) : undefined;
          if (!person) throw new AppError("Unauthorized", "the code was refused");
          return { user: person.user, groups: person.groups };
        },
        async search() {
          return [];
        },
        async close() {},
      };
    },
  };
}
