import type { FieldDef } from "../definition.ts";

/** Fields every resource has, described once for `/v2-beta/schemas` (all filterable). */
export const commonFields: Record<string, FieldDef> = {
  id: { type: "string", filter: true },
  name: { type: "string", nullable: true, filter: true },
  state: { type: "string", filter: true },
  created: { type: "date", filter: true },
  removed: { type: "date", nullable: true, filter: true },
  transitioning: { type: "enum", options: ["yes", "no", "error"] },
  transitioningMessage: { type: "string", nullable: true },
};

/** Fields of resources that live inside a project. */
export const scopedFields: Record<string, FieldDef> = {
  ...commonFields,
  accountId: { type: "reference[project]", filter: true },
};
