import { containerPolicySchema, formatId, projectCreateSchema, projectUpdateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ProjectFields } from "../model/project.ts";
import type { Row } from "../store/rows.ts";
import { projectPolicy } from "./container-policy.ts";
import { loadProject, requireAdminOrOwner, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { checkMembers, insertMember, replaceMembers, setMembersSchema } from "./project-members.ts";

/**
 * Creates a project (environment) with the `members` given (Rancher 1.6's create takes them, checked
 * as `setmembers` checks them); without any, a user creating one becomes its owner.
 */
export function createProject(ctx: VerbContext, body: unknown, members?: unknown): Row<ProjectFields> {
  if (ctx.principal.kind !== "admin" && ctx.principal.kind !== "user") {
    throw new AppError("PermissionDenied", "only accounts can create environments");
  }
  const input = parseInput(projectCreateSchema, body);
  // None given (absent, null or an empty list, as clients send it): the creator's default below.
  const none = members === undefined || members === null || (Array.isArray(members) && members.length === 0);
  const memberList = none ? null : parseInput(setMembersSchema, { members }).members;
  if (input.containerPolicy) requirePolicyAdmin(ctx);
  return ctx.store.transaction(() => {
    assertNameFree(ctx, input.name);
    const project = ctx.store.insert<ProjectFields>("project", {
      name: input.name,
      state: "active",
      data: {
        description: input.description,
        servicesPortRange: input.servicesPortRange,
        containerPolicy: containerPolicySchema.parse(input.containerPolicy ?? {}),
      },
    });
    const p = ctx.principal;
    const pid = formatId("project", project.id);
    if (memberList) replaceMembers(ctx.store, pid, checkMembers(ctx.store, memberList));
    else if (p.kind === "user") {
      const account = ctx.store.getByPublicId("account", p.accountId);
      insertMember(ctx.store, pid, {
        externalId: p.accountId,
        externalIdType: "rancher_id",
        role: "owner",
        name: account?.name ?? p.accountId,
      });
    }
    return project;
  });
}

/**
 * Only admins set container policies: a member or an environment key could otherwise loosen the
 * policy that holds back its own containers.
 */
function requirePolicyAdmin(ctx: VerbContext): void {
  if (ctx.principal.kind !== "admin")
    throw new AppError(
      "PermissionDenied",
      "containerPolicy: only an admin may set an environment's container policy",
      {
        detail: { field: "containerPolicy" },
      },
    );
}

/** Edits a project's name, description or port range. */
export function updateProject(ctx: VerbContext, id: string, body: unknown): Row<ProjectFields> {
  const input = parseInput(projectUpdateSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, id);
    if (input.containerPolicy) requirePolicyAdmin(ctx);
    if (input.name && input.name !== project.name) assertNameFree(ctx, input.name);
    const data: Record<string, unknown> = {};
    if (input.description !== undefined) data.description = input.description;
    if (input.servicesPortRange !== undefined) data.servicesPortRange = input.servicesPortRange;
    // The rules given replace the current ones; the others stay as they were.
    if (input.containerPolicy)
      data.containerPolicy = { ...projectPolicy(project.data), ...stripUndefined(input.containerPolicy) };
    return ctx.store.update<ProjectFields>(project.id, { name: input.name, data })!;
  });
}

/** Moves a project between active and inactive; inactive projects refuse their keys. */
export function setProjectActive(ctx: VerbContext, id: string, active: boolean): Row<ProjectFields> {
  requireAdminOrOwner(ctx, id);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, id);
    const from = active ? ["inactive"] : ["active"];
    const row = ctx.store.update<ProjectFields>(project.id, { state: active ? "active" : "inactive" }, from);
    if (!row) throw new AppError("InvalidState", `project ${id} is ${project.state}`);
    return row;
  });
}

/** Removes a project that holds no hosts or containers any more. */
export function removeProject(ctx: VerbContext, id: string): Row<ProjectFields> {
  requireAdminOrOwner(ctx, id);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, id);
    const pid = formatId("project", project.id);
    const busy = ["host", "container"].some(
      (type) => ctx.store.all(type as "host" | "container", { projectId: pid, state: liveStates }).length > 0,
    );
    if (busy)
      throw new AppError("InvalidState", `project ${id} still has hosts or containers; remove them first`);
    const row = ctx.store.update<ProjectFields>(project.id, { state: "removed", removed: Date.now() }, [
      "active",
      "inactive",
    ]);
    if (!row) throw new AppError("InvalidState", `project ${id} is ${project.state}`);
    return row;
  });
}

const liveStates = [
  "active",
  "inactive",
  "activating",
  "creating",
  "running",
  "stopped",
  "starting",
  "stopping",
  "error",
  "registering",
];

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function assertNameFree(ctx: VerbContext, name: string): void {
  const clash = ctx.store.all("project", { state: ["active", "inactive"] }).some((p) => p.name === name);
  if (clash)
    throw new AppError("NotUnique", `an environment named ${name} exists already`, {
      detail: { field: "name" },
    });
}
