import type { Identity } from "./identity.ts";
import type { Role } from "./roles.ts";

/** Who is calling: an admin or user account, an environment (project) key, or a host's agent. */
export interface Principal {
  kind: "admin" | "user" | "project" | "agent";
  /** Public id of the account (for project keys, the project's id). */
  accountId: string;
  /** Public id of the API key used. */
  keyId: string;
  /** For project and agent keys: the only project they may touch. */
  projectId?: string;
  /** For agent keys: their host. */
  hostId?: string;
  /** For user accounts: the projects they are a member of. */
  memberOf?: string[];
  /** For user accounts: their role in each project they are a member of (project id -> role). */
  roles?: Record<string, Role>;
  /** How the caller proved who they are: an API key, or a login session (token or cookie). */
  via?: "key" | "session";
  /** For people: the identities they hold (their account's, and the provider user and groups). */
  identities?: Identity[];
}

/** True when the principal may see and act in `projectId`. */
export function canAccessProject(p: Principal, projectId: string): boolean {
  switch (p.kind) {
    case "admin":
      return true;
    case "user":
      return p.memberOf?.includes(projectId) ?? false;
    case "project":
      return p.projectId === projectId;
    case "agent":
      return false;
  }
}

/**
 * True when the principal may register hosts in `projectId`: create, rotate, (de)activate and
 * remove its registration tokens, and read their values. As in Rancher 1.6, where owners and
 * members may add hosts and environment keys have full access to their environment, that is today
 * everyone with access to the environment but agents. Roles that may only read hosts (Rancher's
 * restricted and read-only) must answer false here, and not be shown token values, when they come.
 */
export function mayRegisterHosts(p: Principal, projectId: string): boolean {
  return p.kind !== "agent" && canAccessProject(p, projectId);
}
