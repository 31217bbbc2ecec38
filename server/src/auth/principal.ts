import type { Identity } from "./identity.ts";
import { type Area, allows, describe, type Operation } from "./role-matrix.ts";
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
  /** For user accounts: their role in each project they are a member of (project id -> role). */
  roles?: Record<string, Role>;
  /** How the caller proved who they are: an API key, or a login session (token or cookie). */
  via?: "key" | "session";
  /** For people: the identities they hold (their account's, and the provider user and groups). */
  identities?: Identity[];
}

/** True when the principal may see and act in `projectId` (what it may do there is `mayDo`'s question). */
export function canAccessProject(p: Principal, projectId: string): boolean {
  switch (p.kind) {
    case "admin":
      return true;
    case "user":
      return p.roles !== undefined && Object.hasOwn(p.roles, projectId);
    case "project":
      return p.projectId === projectId;
    case "agent":
      return false;
  }
}

/** The user's role in `projectId`, or undefined (admins, keys and non-members have none). */
export function roleIn(p: Principal, projectId: string): Role | undefined {
  return p.kind === "user" && p.roles && Object.hasOwn(p.roles, projectId) ? p.roles[projectId] : undefined;
}

/**
 * True when the principal may do `op` in `area` of `projectId`: admins everywhere, environment keys
 * everything in their own environment (Rancher's environment keys ignore roles), users what their
 * role there allows (see role-matrix.ts), agents only reading hosts.
 */
export function mayDo(p: Principal, projectId: string, area: Area, op: Operation): boolean {
  if (p.kind === "admin") return true;
  if (p.kind === "project") return p.projectId === projectId;
  // An agent reads its own host (visibility narrows it to that one row) and nothing else.
  if (p.kind === "agent") return p.projectId === projectId && area === "hosts" && op === "read";
  const role = roleIn(p, projectId);
  return role !== undefined && allows(role, area, op);
}

/** Why `mayDo` said no, naming the role: the message of a 403. */
export function refusal(p: Principal, projectId: string, area: Area, op: Operation): string {
  const role = roleIn(p, projectId);
  if (!role) return `this key may not ${describe(area, op)} in environment ${projectId}`;
  return `your role in environment ${projectId} is ${role}, which may not ${describe(area, op)}`;
}

/**
 * True when the principal may register hosts in `projectId`: create, rotate, (de)activate and
 * remove its registration tokens, and read their values. As in Rancher 1.6, owners and members may
 * add hosts and environment keys have full access to their environment; restricted and read-only
 * members may not, and are shown no token values.
 */
export function mayRegisterHosts(p: Principal, projectId: string): boolean {
  return p.kind !== "agent" && mayDo(p, projectId, "registrationTokens", "create");
}
