import { formatId } from "@corral/api";
import type { ServiceFields } from "../model/service.ts";
import type { Store } from "../store/store.ts";
import type { ComputedCollection } from "./computed-collection.ts";
import type { SchemaDef } from "./definition.ts";
import { commonFields } from "./resources/common.ts";

/** The `serviceConsumeMap` schema: one link from a service to a service it consumes. */
export const serviceConsumeMapSchema: SchemaDef = {
  type: "serviceConsumeMap",
  collection: "serviceconsumemaps",
  scoped: true,
  // Only the filters the list applies are advertised (see `filterable`).
  fields: {
    ...commonFields,
    created: { type: "date" },
    removed: { type: "date", nullable: true },
    accountId: { type: "reference[project]", filter: true },
    serviceId: { type: "reference[service]", filter: true },
    consumedServiceId: { type: "reference[service]", filter: true },
    ports: { type: "array[string]", nullable: true },
  },
  actions: {},
};

const filterable = ["id", "serviceId", "consumedServiceId", "name", "state", "accountId"] as const;

/**
 * The links of an environment's services as Rancher's `serviceConsumeMap` rows (read-only: links are
 * set with a service's `setservicelinks` action or its compose `links`). Rancher 1.6's compose
 * client reads them to see whether a service's links changed.
 */
export function consumeMaps(store: Store, projectId: string): Record<string, unknown>[] {
  const services = store.all<ServiceFields>("service", { projectId }).filter((s) => s.state !== "removed");
  const stackNames = new Map(store.all("stack", { projectId }).map((s) => [formatId("stack", s.id), s.name]));
  const out: Record<string, unknown>[] = [];
  for (const svc of services) {
    for (const link of svc.data.links ?? []) {
      const [stackName, name] = link.target.includes("/")
        ? link.target.split("/", 2)
        : [stackNames.get(svc.data.stackId), link.target];
      const target = services.find((t) => t.name === name && stackNames.get(t.data.stackId) === stackName);
      if (!target) continue;
      const serviceId = formatId("service", svc.id);
      const consumedServiceId = formatId("service", target.id);
      out.push({
        id: `${serviceId}-${consumedServiceId}`,
        type: "serviceConsumeMap",
        baseType: "serviceConsumeMap",
        name: link.alias ?? null,
        state: "active",
        transitioning: "no",
        transitioningMessage: null,
        created: new Date(Math.max(svc.created, target.created)).toISOString(),
        removed: null,
        accountId: projectId,
        serviceId,
        consumedServiceId,
        ports: null,
      });
    }
  }
  return out;
}

/** `/serviceconsumemaps`, inside a project or for an environment key's own project. */
export const consumeMapCollection: ComputedCollection = {
  type: "serviceConsumeMap",
  collection: "serviceconsumemaps",
  filterable,
  rows: consumeMaps,
};
