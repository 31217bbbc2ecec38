/** Stored fields of an account. */
export interface AccountFields {
  kind: "admin" | "user" | "agent";
  description?: string;
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
