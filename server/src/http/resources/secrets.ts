import { createSecret, removeSecret, type SecretFields, updateSecret } from "../../services/secrets.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `secret`: a named value of an environment that containers get as a file under /run/secrets
 * (Rancher 1.6's fields: the value is base64 and write-only, every answer shows `value: null`).
 */
export const secretResource: ResourceDef = {
  type: "secret",
  collection: "secrets",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, required: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    value: { type: "password", create: true, update: true, required: true, nullable: true },
  },
  create: (ctx, projectId, body) => ({ row: createSecret(ctx, projectId ?? "", body) }),
  update: updateSecret,
  remove: removeSecret,
  actions: {
    remove: { available: (r) => r.state !== "removed", run: (ctx, id) => removeSecret(ctx, id) },
  },
  present: (row) => {
    const d = row.data as SecretFields;
    return { description: d.description ?? null, value: null };
  },
};
