import {
  createRegistryCredential,
  type RegistryCredentialFields,
  removeRegistryCredential,
  updateRegistryCredential,
} from "../../services/registries.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `registryCredential`: a user name and password for one registry (Rancher 1.6's fields). The
 * password is write-only: every answer shows `secretValue: null`.
 */
export const registryCredentialResource: ResourceDef = {
  type: "registryCredential",
  collection: "registrycredentials",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, update: true, nullable: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    registryId: { type: "reference[registry]", create: true, required: true, filter: true },
    publicValue: { type: "string", create: true, update: true, required: true, filter: true },
    secretValue: { type: "password", create: true, update: true, required: true, nullable: true },
    email: { type: "string", create: true, update: true, nullable: true },
    kind: { type: "string", filter: true },
  },
  create: (ctx, projectId, body) => ({ row: createRegistryCredential(ctx, projectId ?? "", body) }),
  update: updateRegistryCredential,
  remove: removeRegistryCredential,
  actions: {
    remove: {
      available: (r) => r.state !== "removed",
      run: (ctx, id) => removeRegistryCredential(ctx, id),
    },
  },
  present: (row) => {
    const d = row.data as RegistryCredentialFields;
    return {
      description: d.description ?? null,
      registryId: d.registryId,
      publicValue: d.publicValue,
      secretValue: null,
      email: d.email ?? null,
      kind: "registryCredential",
    };
  },
};
