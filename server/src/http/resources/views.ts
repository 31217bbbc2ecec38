import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ServiceFields } from "../../model/service.ts";
import { createService } from "../../services/services.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";
import { containerResource } from "./containers.ts";
import { hostResource } from "./hosts.ts";
import { serviceResource } from "./services.ts";

/**
 * `instance`: Rancher's parent type of containers. Its clients read logs, stats and states through
 * `/instances/<id>`; here every instance is a container.
 */
export const instanceResource: ResourceDef = {
  ...containerResource,
  schemaId: "instance",
  collection: "instances",
  create: undefined,
  view: { filters: [], matches: () => true },
};

/**
 * `storagePool`: where volumes can live. Rancher 1.6 showed each host's Docker storage as a pool
 * (volume drivers with their own pools were stacks of the storage catalog, which Corral does not
 * have); here one pool per host, of the `local` driver, that host alone.
 */
export const storagePoolResource: ResourceDef = {
  ...hostResource,
  schemaId: "storagePool",
  collection: "storagepools",
  fields: {
    ...scopedFields,
    description: { type: "string", nullable: true },
    driverName: { type: "string", filter: true },
    hostIds: { type: "array[reference[host]]", description: "the host whose engine holds the pool" },
    volumeAccessMode: { type: "string", description: "singleHostRW: a local pool is one host's" },
  },
  update: undefined,
  remove: undefined,
  actions: {},
  related: undefined,
  links: undefined,
  subresources: undefined,
  view: { filters: [], matches: () => true },
  // A host's row drawn as a pool: its type is the pool's (its id stays the host's, one pool each).
  present: (row) => ({
    type: "storagePool",
    baseType: "storagePool",
    name: row.name ?? (row.data as { hostname?: string }).hostname ?? null,
    description: null,
    driverName: "local",
    hostIds: [formatId("host", row.id)],
    volumeAccessMode: "singleHostRW",
  }),
};

/** A typed service collection: the services of one kind, created with that kind. */
function serviceKind(kind: "loadBalancerService" | "externalService" | "dnsService"): ResourceDef {
  const { kind: _kind, ...fields } = serviceResource.fields;
  return {
    ...serviceResource,
    schemaId: kind,
    parent: "service",
    collection: `${kind.toLowerCase()}s`,
    fields,
    view: {
      filters: [{ field: "kind", modifier: "eq", values: [kind] }],
      matches: (row) => (row.data as ServiceFields).kind === kind,
    },
    create: (ctx, projectId, body) => {
      if (body === null || typeof body !== "object" || Array.isArray(body))
        throw new AppError("InvalidBodyContent", "the body must be a JSON object");
      const given = (body as { kind?: unknown }).kind;
      if (given !== undefined && given !== null && given !== kind)
        throw new AppError("InvalidOption", `kind: a ${kind} is created with kind ${kind}`, {
          detail: { field: "kind" },
        });
      return { row: createService(ctx, projectId ?? "", { ...body, kind }) };
    },
  };
}

/** `loadBalancerService`: HAProxy balancers with `lbConfig` port rules. */
export const loadBalancerServiceResource = serviceKind("loadBalancerService");
/** `externalService`: outside addresses (`externalIpAddresses`) or a `hostname` behind a service name. */
export const externalServiceResource = serviceKind("externalService");
/** `dnsService`: a DNS alias for the services it links to. */
export const dnsServiceResource = serviceKind("dnsService");
