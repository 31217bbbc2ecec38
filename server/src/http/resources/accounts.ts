import type { AccountFields } from "../../model/account.ts";
import {
  changeSecret,
  createAccount,
  removeAccount,
  setAccountActive,
  updateAccount,
} from "../../services/accounts.ts";
import type { ResourceDef } from "../definition.ts";
import { commonFields } from "./common.ts";

/** `account`: a person (admin or user) or a host's agent. */
export const accountResource: ResourceDef = {
  type: "account",
  collection: "accounts",
  scoped: false,
  fields: {
    ...commonFields,
    name: { type: "string", create: true, update: true, required: true, filter: true },
    kind: { type: "enum", options: ["admin", "user", "agent"], create: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    username: { type: "string", create: true, update: true, nullable: true, filter: true },
    password: { type: "password", create: true, description: "initial password; never shown" },
    externalId: { type: "string", nullable: true },
    externalIdType: { type: "string", nullable: true },
  },
  create: (ctx, _pid, body) => ({ row: createAccount(ctx, body) }),
  update: updateAccount,
  remove: removeAccount,
  actions: {
    activate: { available: (r) => r.state === "inactive", run: (ctx, id) => setAccountActive(ctx, id, true) },
    changesecret: {
      // Offered to accounts with a local login (a username); provider users' passwords live there.
      available: (r) => r.state !== "removed" && Boolean((r.data as AccountFields).username),
      run: (ctx, id, body) => changeSecret(ctx, id, body),
    },
    deactivate: {
      available: (r) => r.state === "active",
      run: (ctx, id) => setAccountActive(ctx, id, false),
    },
  },
  present: (row) => {
    const d = row.data as unknown as AccountFields;
    return {
      kind: d.kind,
      description: d.description ?? null,
      username: d.username ?? null,
      externalId: d.externalId ?? null,
      externalIdType: d.externalIdType ?? null,
      ...(d.hostId ? { hostId: d.hostId } : {}),
    };
  },
};
