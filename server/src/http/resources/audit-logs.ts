import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `auditLog`: one read-only row per mutating request, secrets redacted. */
export const auditLogResource: ResourceDef = {
  type: "auditLog",
  collection: "auditlogs",
  scoped: true,
  fields: {
    ...scopedFields,
    authType: { type: "string", filter: true },
    authenticatedAsAccountId: { type: "reference[account]", filter: true },
    authenticatedAsIdentityId: { type: "string", filter: true },
    clientIp: { type: "string", filter: true },
    eventType: { type: "string", filter: true },
    resourceType: { type: "string", filter: true },
    resourceId: { type: "string", filter: true },
    requestObject: { type: "json" },
    requestObjectTruncated: { type: "boolean", filter: true },
    responseCode: { type: "int", filter: true },
    description: { type: "string" },
  },
  actions: {},
  present: (row) => ({ ...(row.data as Record<string, unknown>) }),
};
