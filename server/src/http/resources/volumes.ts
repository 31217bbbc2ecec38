import type { VolumeFields } from "../../model/volume.ts";
import { createVolume, removeVolume } from "../../services/volumes.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `volume`: a named Docker volume of an environment, as Rancher 1.6's `volume` type. */
export const volumeResource: ResourceDef = {
  type: "volume",
  collection: "volumes",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, required: true, filter: true },
    description: { type: "string", create: true, nullable: true },
    driver: { type: "string", create: true, filter: true, default: "local" },
    driverOpts: { type: "map[string]", create: true, nullable: true },
    externalId: { type: "string", filter: true },
    isHostPath: { type: "boolean", filter: true },
    hostIds: {
      type: "array[reference[host]]",
      filter: true,
      description: 'hosts whose engine holds the volume (a host\'s volumes: hostIds_like="<hostId>")',
    },
    accessMode: { type: "string", nullable: true },
    stackId: {
      type: "reference[stack]",
      filter: true,
      nullable: true,
      description: "the stack that owns it",
    },
    instanceId: {
      type: "reference[instance]",
      filter: true,
      nullable: true,
      description: "the container a per-container volume (compose per_container) belongs to",
    },
    uri: { type: "string", nullable: true },
  },
  create: (ctx, projectId, body) => ({ row: createVolume(ctx, projectId ?? "", body) }),
  remove: removeVolume,
  actions: {
    remove: {
      available: (r) => r.state !== "removed" && r.state !== "removing",
      run: (ctx, id) => removeVolume(ctx, id),
      accepted: true,
    },
  },
  present: (row) => {
    const d = row.data as VolumeFields;
    return {
      description: d.description ?? null,
      driver: d.driver,
      driverOpts: d.driverOpts,
      externalId: row.name,
      isHostPath: false,
      hostIds: d.hostIds,
      accessMode: "multiHostRW",
      uri: `${d.driver}:///${row.name}`,
      stackId: d.stackId ?? null,
      instanceId: d.instanceId ?? null,
    };
  },
};
