import { AppError } from "@corral/lib";
import type { ServiceFields } from "../../model/service.ts";
import { createService } from "../../services/services.ts";
import type { ResourceDef } from "../definition.ts";
import { containerResource } from "./containers.ts";
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
