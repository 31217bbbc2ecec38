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
 * transaction. The list must name known identity types and roles, each identity once, and keep at
 * least one owner; a `rancher_id` must be an existing account. Members whose role is unchanged keep
 * their rows; the others are removed or added. Answers the project.
 */
export function setMembers(ctx: VerbContext, projectId: string, body: unknown): Row<ProjectFields> {
  const input = parseInput(setMembersSchema, body);
  const seen = new Set<string>();
  input.members.forEach((m, i) => {
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
  if (!input.members.some((m) => m.role === "owner"))
    throw new AppError("InvalidOption", "members: an environment needs at least one owner", {
      detail: { field: "members" },
    });
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    const pid = formatId("project", project.id);
    requireAllowed(ctx, pid, "membership", "update");
    const wanted = input.members.map((m, i): ProjectMemberFields => {
      let name = m.name ?? m.externalId;
      if (m.externalIdType === "rancher_id") {
        const account = ctx.store.getByPublicId("account", m.externalId);
        if (!account || account.state === "removed")
          throw new AppError("InvalidReference", `members.${i}: no account ${m.externalId.slice(0, 64)}`, {
            detail: { field: `members.${i}.externalId` },
          });
        name = account.name ?? name;
      }
      return { externalId: m.externalId, externalIdType: m.externalIdType, role: m.role, name };
    });
    const current = new Map(
      membersOf(ctx.store, pid).map((r) => [`${r.data.externalIdType} ${r.data.externalId}`, r]),
    );
    for (const m of wanted) {
      const key = `${m.externalIdType} ${m.externalId}`;
      const row = current.get(key);
      current.delete(key);
      if (row && row.data.role === m.role && row.data.name === m.name) continue;
      if (row) ctx.store.update(row.id, { name: m.name, data: { role: m.role, name: m.name } });
      else insertMember(ctx.store, pid, m);
    }
    for (const row of current.values())
      ctx.store.update(row.id, { state: "removed", removed: Date.now() }, ["active"]);
    return ctx.store.get<ProjectFields>(project.id)!;
  });
}
