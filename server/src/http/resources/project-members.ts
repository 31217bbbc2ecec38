import { externalIdTypes } from "../../auth/identity.ts";
import { roles } from "../../auth/roles.ts";
import type { ProjectMemberFields } from "../../model/project.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `projectMember`: one identity (an account, or a provider's user or group) with a role in an
 * environment, as Rancher 1.6 had it. Read-only here: a project's `setmembers` action replaces the
 * whole list at once.
 */
export const projectMemberResource: ResourceDef = {
  type: "projectMember",
  collection: "projectmembers",
  scoped: true,
  fields: {
    ...scopedFields,
    externalId: { type: "string", filter: true },
    externalIdType: { type: "enum", options: externalIdTypes, filter: true },
    role: { type: "enum", options: roles, filter: true },
    projectId: { type: "reference[project]", filter: true },
  },
  actions: {},
  present: (row) => {
    const d = row.data as unknown as ProjectMemberFields;
    return {
      externalId: d.externalId,
      externalIdType: d.externalIdType,
      role: d.role,
      projectId: row.projectId,
    };
  },
};
