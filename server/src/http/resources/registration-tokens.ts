import {
  createRegistrationToken,
  joinCommand,
  type RegistrationTokenFields,
} from "../../services/registration.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `registrationToken`: the token in the one-line command that joins a host to a project. */
export const registrationTokenResource: ResourceDef = {
  type: "registrationToken",
  collection: "registrationtokens",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, nullable: true, filter: true },
    description: { type: "string", create: true, nullable: true },
    token: { type: "string" },
    registrationUrl: { type: "string" },
    command: { type: "string" },
  },
  create: (ctx, projectId, body) => ({ row: createRegistrationToken(ctx, projectId ?? "", body) }),
  actions: {},
  present: (row, base) => {
    const d = row.data as unknown as RegistrationTokenFields;
    return { token: d.token, description: d.description ?? null, ...joinCommand(base, d.token) };
  },
};
