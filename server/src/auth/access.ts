import { z } from "zod";
import type { Store } from "../store/store.ts";
import { externalIdTypes, type Identity } from "./identity.ts";

/** Rancher's access modes: who of a provider's people may log in. */
export const accessModes = ["unrestricted", "restricted", "required"] as const;

/** One of `accessModes`. */
export type AccessMode = (typeof accessModes)[number];

/** An identity as listed in `allowedIdentities`. */
export const allowedIdentitySchema = z.object({
  externalId: z.string().min(1).max(1024),
  externalIdType: z.enum(externalIdTypes),
  name: z.string().max(1024).optional(),
});

/** An entry of `allowedIdentities`. */
export type AllowedIdentity = z.infer<typeof allowedIdentitySchema>;

/**
 * True when a person holding `identities` (their user and groups) may log in under `mode`:
 * `unrestricted` lets everyone the provider authenticates in; `required` only those listed in
 * `allowed` (as a user or through a group); `restricted` those, and members of any environment
 * (a projectMember row naming the user or one of the groups, or the account in a project's
 * `members`). Admin accounts are let in by the caller whatever the mode, so nobody locks them out.
 */
export function mayLogIn(
  store: Store,
  mode: AccessMode,
  allowed: readonly AllowedIdentity[],
  identities: readonly Identity[],
): boolean {
  if (mode === "unrestricted") return true;
  const held = new Set(identities.map((i) => `${i.externalIdType}:${i.externalId}`));
  if (allowed.some((a) => held.has(`${a.externalIdType}:${a.externalId}`))) return true;
  if (mode === "required") return false;
  for (const id of identities) {
    const rows = store.all<{ externalIdType?: string }>("projectMember", {
      state: ["active"],
      dataField: ["externalId", id.externalId],
    });
    if (rows.some((r) => r.data.externalIdType === id.externalIdType)) return true;
    if (id.externalIdType === "rancher_id") {
      const projects = store.all<{ members?: string[] }>("project", { state: ["active", "inactive"] });
      if (projects.some((p) => p.data.members?.includes(id.externalId))) return true;
    }
  }
  return false;
}
