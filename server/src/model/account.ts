import type { ExternalIdType, Identity } from "../auth/identity.ts";

/** Stored fields of an account. */
export interface AccountFields {
  kind: "admin" | "user" | "agent";
  description?: string;
  /**
   * Login name of a local account (unique, any case; the row's lookup is `user:<lower case>`). The
   * password's argon2id hash is only in the row's hidden secret column.
   */
  username?: string;
  /** For accounts made by an external provider's login: the provider user they stand for. */
  externalId?: string;
  externalIdType?: ExternalIdType;
  /** The provider groups the person belonged to at their last login (refreshed at each login). */
  identities?: Identity[];
  /** For agent accounts: the host and project the agent serves. */
  hostId?: string;
  projectId?: string;
}

/** Stored fields of an API key; the secret itself is only in the hidden, hashed column. */
export interface ApiKeyData {
  /** account: a person's key; project: an environment key; agent: a host agent's key. */
  kind: "account" | "project" | "agent";
  /** Owner: the account id, or the project id for environment keys. */
  accountId: string;
  publicValue: string;
  description?: string;
}
