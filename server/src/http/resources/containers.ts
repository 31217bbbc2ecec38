import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerFields } from "../../model/container.ts";
import { launchApiFields } from "../../model/launch-fields.ts";
import {
  containerAction,
  containerActions,
  createContainer,
  purgeContainer,
  requireConnectedHost,
  updateContainer,
} from "../../services/containers.ts";
import { loadVisible } from "../../services/context.ts";
import type { ActionDef, ResourceDef } from "../definition.ts";
import { openHostAccess } from "../streams.ts";
import { scopedFields } from "./common.ts";

function lifecycle(name: keyof typeof containerActions): ActionDef {
  return {
    available: (r) => containerActions[name].from.includes(r.state),
    run: (ctx, id) => containerAction(ctx, id, name),
    accepted: true,
  };
}

/** `container`: one Docker container on one host, with its lifecycle, logs, exec and stats. */
export const containerResource: ResourceDef = {
  type: "container",
  collection: "containers",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, update: true, nullable: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    // Launch config fields: one list for containers, services and compose (model/launch-fields.ts).
    ...launchApiFields(),
    requestedHostId: { type: "reference[host]", create: true, nullable: true },
    hostId: { type: "reference[host]", filter: true },
    startOnCreate: { type: "boolean", create: true },
    externalId: { type: "string", filter: true },
    primaryIpAddress: { type: "string", nullable: true, filter: true },
    exitCode: { type: "int", nullable: true, filter: true },
    startCount: { type: "int", filter: true },
    publicEndpoints: { type: "array[publicEndpoint]" },
    serviceId: { type: "reference[service]", nullable: true, filter: true },
    stackId: { type: "reference[stack]", nullable: true, filter: true },
    createIndex: { type: "int", nullable: true, filter: true },
    deploymentUnitUuid: { type: "string", nullable: true, filter: true },
    healthState: {
      type: "enum",
      options: ["initializing", "healthy", "unhealthy"],
      nullable: true,
      filter: true,
    },
  },
  create: (ctx, projectId, body) => ({ row: createContainer(ctx, projectId ?? "", body) }),
  update: updateContainer,
  remove: (ctx, id) => containerAction(ctx, id, "remove"),
  actions: {
    start: lifecycle("start"),
    stop: lifecycle("stop"),
    restart: lifecycle("restart"),
    remove: lifecycle("remove"),
    purge: { available: (r) => r.state === "removed", run: (ctx, id) => purgeContainer(ctx, id) },
    logs: {
      available: (r) => Boolean((r.data as ContainerFields).externalId) && r.state !== "removed",
      run: (ctx, id, body, base) => openHostAccess(ctx, id, "logs", body, base),
    },
    execute: {
      available: (r) => r.state === "running",
      run: (ctx, id, body, base) => openHostAccess(ctx, id, "execute", body, base),
    },
  },
  present: (row) => {
    const d = row.data as unknown as ContainerFields;
    const { transitioningMessage: _t, ...fields } = d;
    return { ...fields, kind: "container", baseType: "instance", image: d.imageUuid.replace(/^docker:/, "") };
  },
  links: (_row, self) => ({ stats: `${self}/stats` }),
  subresources: {
    stats: async (ctx, id) => {
      const row = loadVisible<ContainerFields>(ctx, "container", id);
      if (row.state !== "running")
        throw new AppError("InvalidState", `container ${id} is ${row.state}; stats need it running`);
      const hostId = requireConnectedHost(ctx, row);
      const stats = await ctx.dispatcher.dispatch(
        hostId,
        "instance.stats",
        {
          containerId: formatId("container", row.id),
          dockerId: row.data.externalId,
        },
        15_000,
      );
      return { type: "containerStats", id: formatId("container", row.id), ...stats };
    },
  },
};
