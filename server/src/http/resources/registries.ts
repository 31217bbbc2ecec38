import {
  createRegistry,
  type RegistryFields,
  removeRegistry,
  updateRegistry,
} from "../../services/registries.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `registry`: a private image registry of an environment (Rancher 1.6's `registry`). */
export const registryResource: ResourceDef = {
  type: "registry",
  collection: "registries",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, update: true, nullable: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    serverAddress: {
      type: "string",
      create: true,
      required: true,
      filter: true,
      description: "host[:port] as image references name it; docker.io for Docker Hub",
    },
    kind: { type: "string", filter: true },
  },
  create: (ctx, projectId, body) => ({ row: createRegistry(ctx, projectId ?? "", body) }),
  update: updateRegistry,
  remove: removeRegistry,
  actions: {
    remove: { available: (r) => r.state !== "removed", run: (ctx, id) => removeRegistry(ctx, id) },
  },
  present: (row) => {
    const d = row.data as RegistryFields;
    return { description: d.description ?? null, serverAddress: d.serverAddress, kind: "registry" };
  },
};
