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
