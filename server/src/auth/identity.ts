import type { z } from "zod";

/**
 * The kinds of identity an environment member can be, with Rancher 1.6's names: a Corral account
 * (`rancher_id`), or a user or group of an external provider.
 */
export const externalIdTypes = [
  "rancher_id",
  "ldap_user",
  "ldap_group",
  "github_user",
  "github_org",
  "github_team",
  "oidc_user",
  "oidc_group",
] as const;

/** One of `externalIdTypes`. */
export type ExternalIdType = (typeof externalIdTypes)[number];

/**
 * A person or group as a provider knows it. `externalId` is the provider's stable id (an LDAP DN, a
 * GitHub numeric id, an OIDC `sub`); together with `externalIdType` it names the identity for
 * membership, whatever its display name becomes later.
 */
export interface Identity {
  externalId: string;
  externalIdType: ExternalIdType;
  /** Display name. */
  name: string;
  /** Login name, when the provider has one (uid, sAMAccountName, GitHub login, preferred_username). */
  login?: string;
  profileUrl?: string;
}

/** What a successful login against a provider yields: the user and every group they belong to. */
export interface LoginResult {
  user: Identity;
  /** Groups, orgs and teams, nested ones included (flattened by the provider). */
  groups: Identity[];
}

/** A provider that checks a username and password itself (local accounts, LDAP, Active Directory). */
export interface PasswordProvider {
  readonly kind: "password";
  /**
   * Checks the credentials. Throws AppError Unauthorized for wrong ones or a disabled user, and
   * ServiceUnavailable (with the provider's own message) when the provider cannot be reached.
   */
  login(username: string, password: string): Promise<LoginResult>;
  /** Users and groups whose name starts with `query` (for adding members); at most `limit`. */
  search(query: string, limit: number): Promise<Identity[]>;
  /** Releases connections; the provider is not used after this. */
  close(): Promise<void>;
}

/** A provider the browser is sent to and comes back from with a code (GitHub, OpenID Connect). */
export interface RedirectProvider {
  readonly kind: "redirect";
  /**
   * The URL to send the browser to. `state` is the server's anti-forgery value (checked by the
   * caller on return); `redirectUri` is the server's callback URL.
   */
  authorizeUrl(state: string, redirectUri: string): Promise<string>;
  /** Turns the code the provider returned into the user and their groups (throws Unauthorized). */
  exchange(code: string, redirectUri: string, state: string): Promise<LoginResult>;
  /** Users and groups matching `query`, where the provider can search (else an empty list). */
  search(query: string, limit: number): Promise<Identity[]>;
  close(): Promise<void>;
}

/** A configured provider of either kind. */
export type AuthProvider = PasswordProvider | RedirectProvider;

/**
 * One provider type as the server knows it: the config resource it is set up with (Rancher's
 * `openldapconfig`, `ldapconfig`, `githubconfig`, ...), which of its fields are secrets (stored
 * encrypted, never returned), and how to build a working provider from a parsed config.
 */
export interface ProviderModule<C = unknown> {
  /** The config resource's name, e.g. `openldapconfig`. */
  configName: string;
  /** What `externalIdType`s this provider yields, e.g. `["ldap_user", "ldap_group"]`. */
  idTypes: readonly ExternalIdType[];
  /** Validates a config as the API receives it (secrets included). */
  configSchema: z.ZodType<C>;
  /** Top-level fields of the config that are secrets. */
  secretFields: readonly string[];
  /** A working provider for `config`. */
  create(config: C): AuthProvider;
}
