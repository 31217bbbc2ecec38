import type { ApiKeyData } from "../../model/account.ts";
import { createApiKey, removeApiKey, setApiKeyActive } from "../../services/api-keys.ts";
import type { ResourceDef } from "../definition.ts";
import { commonFields } from "./common.ts";

/** `apiKey`: an account key or, inside a project, an environment key. The secret is shown once. */
export const apiKeyResource: ResourceDef = {
  type: "apiKey",
  collection: "apikeys",
  scoped: true,
  fields: {
    ...commonFields,
    name: { type: "string", create: true, nullable: true, filter: true },
    description: { type: "string", create: true, nullable: true },
    publicValue: { type: "string", filter: true },
    secretValue: { type: "password", description: "shown only in the answer to create" },
    accountId: {
      type: "reference[account]",
      create: true,
      nullable: true,
      filter: true,
      description: "the owner; an admin may name another account, the caller's own by default",
    },
    kind: { type: "enum", options: ["account", "project", "agent"], filter: true },
  },
  create: (ctx, projectId, body) => {
    const key = createApiKey(ctx, projectId, body);
    return { row: key.row, extra: { secretValue: key.secretValue } };
  },
  remove: removeApiKey,
  actions: {
    activate: { available: (r) => r.state === "inactive", run: (ctx, id) => setApiKeyActive(ctx, id, true) },
    deactivate: { available: (r) => r.state === "active", run: (ctx, id) => setApiKeyActive(ctx, id, false) },
  },
  present: (row) => {
    const d = row.data as unknown as ApiKeyData;
    return {
      publicValue: d.publicValue,
      secretValue: null,
      accountId: d.accountId,
      kind: d.kind,
      description: d.description ?? null,
    };
  },
};
