import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { z } from "zod";
import { externalIdTypes } from "../auth/identity.ts";
import { roles } from "../auth/roles.ts";
import type { ProjectFields, ProjectMemberFields } from "../model/project.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { requireAllowed } from "./authorize.ts";
import { loadProject, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** One member as `setmembers` takes it (Rancher 1.6's shape; `name` is optional display text). */
const memberInputSchema = z.strictObject({
  externalId: z.string().trim().min(1).max(512),
  externalIdType: z.enum(externalIdTypes),
  role: z.enum(roles),
  name: z.string().max(256).nullish(),
});

/** The input of a project's `setmembers` action: the whole new list of members. */
export const setMembersSchema = z.strictObject({
  members: z.array(memberInputSchema).max(1000),
});

/** Adds a member row (inside the caller's transaction). */
export function insertMember(
  store: Store,
  projectId: string,
  member: ProjectMemberFields,
): Row<ProjectMemberFields> {
  return store.insert<ProjectMemberFields>("projectMember", {
    projectId,
    name: member.name,
    state: "active",
    data: member,
  });
}

/** The environment's current (active) members. */
export function membersOf(store: Store, projectId: string): Row<ProjectMemberFields>[] {
  return store.all<ProjectMemberFields>("projectMember", { projectId, state: ["active"] });
}

/**
 * Rancher 1.6's `setmembers`: replaces the environment's members with the list given, in one
 * transaction (see `parseMembers` for what a list must be). Members whose role is unchanged keep
 * their rows; the others are removed or added. Answers the project.
 */
export function setMembers(ctx: VerbContext, projectId: string, body: unknown): Row<ProjectFields> {
  const input = parseInput(setMembersSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    const pid = formatId("project", project.id);
    requireAllowed(ctx, pid, "membership", "update");
    replaceMembers(ctx.store, pid, checkMembers(ctx.store, input.members));
    return ctx.store.get<ProjectFields>(project.id)!;
  });
}

/**
 * A member list as the API takes it (`setmembers`, and `members` on environment create), checked:
 * known identity types and roles, each identity once, at least one owner, and a `rancher_id` must
 * be an existing account (its name is taken from there). Throws 422s naming the entry.
 */
export function checkMembers(
  store: Store,
  members: z.infer<typeof setMembersSchema>["members"],
): ProjectMemberFields[] {
  const seen = new Set<string>();
  members.forEach((m, i) => {
    const key = `${m.externalIdType} ${m.externalId}`;
    if (seen.has(key))
      throw new AppError(
        "InvalidOption",
        `members.${i}: ${m.externalIdType} ${m.externalId} is listed twice`,
        {
          detail: { field: `members.${i}` },
        },
      );
    seen.add(key);
  });
  if (!members.some((m) => m.role === "owner"))
    throw new AppError("InvalidOption", "members: an environment needs at least one owner", {
      detail: { field: "members" },
    });
  return members.map((m, i): ProjectMemberFields => {
    let name = m.name ?? m.externalId;
    if (m.externalIdType === "rancher_id") {
      const account = store.getByPublicId("account", m.externalId);
      if (!account || account.state === "removed")
        throw new AppError("InvalidReference", `members.${i}: no account ${m.externalId.slice(0, 64)}`, {
          detail: { field: `members.${i}.externalId` },
        });
      name = account.name ?? name;
    }
    return { externalId: m.externalId, externalIdType: m.externalIdType, role: m.role, name };
  });
}

/** Makes the environment's members exactly `wanted` (inside the caller's transaction). */
export function replaceMembers(store: Store, pid: string, wanted: ProjectMemberFields[]): void {
  const current = new Map(
    membersOf(store, pid).map((r) => [`${r.data.externalIdType} ${r.data.externalId}`, r]),
  );
  for (const m of wanted) {
    const key = `${m.externalIdType} ${m.externalId}`;
    const row = current.get(key);
    current.delete(key);
    if (row && row.data.role === m.role && row.data.name === m.name) continue;
    if (row) store.update(row.id, { name: m.name, data: { role: m.role, name: m.name } });
    else insertMember(store, pid, m);
  }
  for (const row of current.values())
    store.update(row.id, { state: "removed", removed: Date.now() }, ["active"]);
}
