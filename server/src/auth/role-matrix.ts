import type { Role } from "./roles.ts";

/**
 * What a role may do in an environment, as Rancher 1.6's table had it. Every check of a user's
 * rights (the generic router, lists, the event stream, logs and exec, registration tokens) asks
 * `allows`; nothing else decides what a role may do.
 */

/** The parts of an environment the table has a row for. */
export const areas = [
  /** The environment's members (`projectMember`, `setmembers`). */
  "membership",
  /** The environment itself: edit, remove, (de)activate, rotate its IPsec key. */
  "environment",
  /** Environment API keys (`/v2-beta/projects/<id>/apikeys`). */
  "environmentKeys",
  /** The environment's audit log. */
  "auditLogs",
  "hosts",
  /** Registration tokens: their values join hosts, so they go with adding hosts. */
  "registrationTokens",
  /** User stacks and what is in them: containers, services, volumes, secrets, certificates, registries. */
  "userStacks",
  /** Infrastructure (system) stacks, their services and containers. */
  "infraStacks",
] as const;

/** One of `areas`. */
export type Area = (typeof areas)[number];

/** What a caller does: `logs` and `exec` are a container's streams. */
export const operations = ["read", "create", "update", "remove", "logs", "exec"] as const;

/** One of `operations`. */
export type Operation = (typeof operations)[number];

/**
 * The table: letters are r(ead) c(reate) u(pdate) d(elete, remove) l(ogs) e(xec). Rancher 1.6:
 * membership owner RUD, others R; hosts owner/member CRUD, others R; user stacks and their
 * resources CRUD for all but read-only, which reads and sees logs; infrastructure stacks owner CRUD,
 * member RUD, restricted R with logs, read-only R. Editing the environment and its keys is the
 * owner's; registration tokens go to those who may add hosts.
 */
const table: Record<Area, Record<Role, string>> = {
  membership: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environment: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environmentKeys: { owner: "crud", member: "", restricted: "", readonly: "" },
  auditLogs: { owner: "r", member: "r", restricted: "", readonly: "" },
  hosts: { owner: "crud", member: "crud", restricted: "r", readonly: "r" },
  registrationTokens: { owner: "crud", member: "crud", restricted: "", readonly: "" },
  userStacks: { owner: "crudle", member: "crudle", restricted: "crudle", readonly: "rl" },
  infraStacks: { owner: "crudle", member: "rudle", restricted: "rl", readonly: "r" },
};

const letters: Record<Operation, string> = {
  read: "r",
  create: "c",
  update: "u",
  remove: "d",
  logs: "l",
  exec: "e",
};

/** True when `role` may do `op` in `area`. */
export function allows(role: Role, area: Area, op: Operation): boolean {
  return table[area][role].includes(letters[op]);
}

/** Roles from the highest to the lowest: when several memberships match, the first wins. */
export const roleRank: readonly Role[] = ["owner", "member", "restricted", "readonly"];

/** The higher of two roles (either may be absent). */
export function higherRole(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (!a) return b;
  if (!b) return a;
  return roleRank.indexOf(a) <= roleRank.indexOf(b) ? a : b;
}

/** The area a resource type belongs to, for rows that are not stacks or in one (see `areaOfRow`). */
export function areaOfType(type: string): Area | null {
  switch (type) {
    case "projectMember":
      return "membership";
    case "project":
      return "environment";
    case "auditLog":
      return "auditLogs";
    case "host":
      return "hosts";
    case "registrationToken":
      return "registrationTokens";
    case "apiKey":
      return "environmentKeys";
    case "stack":
    case "service":
    case "container":
    case "volume":
    case "certificate":
    case "secret":
    case "registry":
    case "registryCredential":
    case "receiver":
      return "userStacks";
    default:
      return null;
  }
}

/**
 * What an action does, by its name: `logs` and `execute` open streams, `remove` removes,
 * `exportconfig` only reads (it answers a stack's compose files); every other action changes its row.
 */
export function operationOfAction(name: string): Operation {
  if (name === "exportconfig") return "read";
  if (name === "logs") return "logs";
  if (name === "execute") return "exec";
  if (name === "remove") return "remove";
  return "update";
}

/** The words of an operation in a refusal: "may not update hosts". */
export function describe(area: Area, op: Operation): string {
  const what: Record<Area, string> = {
    membership: "the environment's members",
    environment: "the environment",
    environmentKeys: "environment API keys",
    auditLogs: "the audit log",
    hosts: "hosts",
    registrationTokens: "registration tokens",
    userStacks: "stacks, services, containers, volumes and certificates",
    infraStacks: "infrastructure stacks",
  };
  const verb: Record<Operation, string> = {
    read: "read",
    create: "create",
    update: "change",
    remove: "remove",
    logs: "read the logs of",
    exec: "execute commands in",
  };
  return `${verb[op]} ${what[area]}`;
}
