import { formatId } from "@corral/api";
import type { ServiceFields } from "../../model/service.ts";
import {
  activateService,
  cancelUpgrade,
  createService,
  deactivateService,
  finishUpgrade,
  removeService,
  restartService,
  rollbackService,
  serviceActionStates,
  setServiceLinks,
  updateService,
  upgradeService,
} from "../../services/services.ts";
import type { ActionDef, ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

const when = (name: string) => (r: { state: string }) => serviceActionStates[name]!.includes(r.state);

function action(name: string, run: ActionDef["run"]): ActionDef {
  return { available: when(name), run, accepted: true };
}

/** `service`: containers kept at a scale, healthy, across hosts (also external and alias services). */
export const serviceResource: ResourceDef = {
  type: "service",
  collection: "services",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, required: true, filter: true },
    stackId: { type: "reference[stack]", create: true, required: true, filter: true },
    kind: {
      type: "enum",
      options: ["service", "externalService", "dnsService", "loadBalancerService"],
      create: true,
      filter: true,
    },
    description: { type: "string", create: true, update: true, nullable: true },
    scale: { type: "int", create: true, update: true, filter: true },
    global: { type: "boolean", create: true, filter: true },
    launchConfig: { type: "launchConfig", create: true },
    secondaryLaunchConfigs: { type: "array[secondaryLaunchConfig]", create: true },
    links: { type: "array[serviceLink]", create: true, description: "input only; shown as serviceLinks" },
    serviceLinks: { type: "array[serviceLink]", description: "the compose links: target service and alias" },
    externalLinks: { type: "array[serviceLink]", create: true },
    retainIp: { type: "boolean", create: true, update: true },
    startOnCreate: { type: "boolean", create: true },
    scalePolicy: { type: "scalePolicy", create: true, update: true, nullable: true },
    upgradeStrategy: { type: "upgradeStrategy", create: true, update: true, nullable: true },
    metadata: { type: "json", create: true, update: true, nullable: true },
    lbConfig: { type: "lbConfig", create: true, update: true, nullable: true },
    externalIpAddresses: { type: "array[string]", create: true, update: true },
    hostname: { type: "string", create: true, update: true, nullable: true },
    selectorLink: { type: "string", create: true, update: true, nullable: true },
    selectorContainer: { type: "string", create: true, update: true, nullable: true },
    currentScale: { type: "int", filter: true },
    instanceIds: { type: "array[reference[instance]]" },
    system: { type: "boolean", filter: true },
    healthState: {
      type: "enum",
      options: ["healthy", "degraded", "unhealthy", "initializing", "started-once"],
      filter: true,
    },
    fqdn: { type: "string" },
    schedulingMessage: { type: "string", nullable: true },
    lbConfigError: {
      type: "string",
      nullable: true,
      description: "HAProxy's message for a config it refused; the balancer keeps serving the last good one",
    },
    lbConfigWarnings: { type: "array[string]", description: "what the generated config had to leave out" },
  },
  create: (ctx, projectId, body) => ({ row: createService(ctx, projectId ?? "", body) }),
  update: updateService,
  remove: removeService,
  actions: {
    activate: action("activate", (ctx, id) => activateService(ctx, id)),
    deactivate: action("deactivate", (ctx, id) => deactivateService(ctx, id)),
    restart: action("restart", (ctx, id, body) => restartService(ctx, id, body)),
    upgrade: action("upgrade", (ctx, id, body) => upgradeService(ctx, id, body)),
    finishupgrade: action("finishupgrade", (ctx, id) => finishUpgrade(ctx, id)),
    rollback: action("rollback", (ctx, id) => rollbackService(ctx, id)),
    cancelupgrade: action("cancelupgrade", (ctx, id) => cancelUpgrade(ctx, id)),
    setservicelinks: {
      available: when("setservicelinks"),
      run: (ctx, id, body) => setServiceLinks(ctx, id, body),
    },
    remove: action("remove", (ctx, id) => removeService(ctx, id)),
  },
  present: (row) => {
    const {
      version: _v,
      nextCreateIndex: _n,
      transitioningMessage: _t,
      upgrade,
      links: serviceLinks,
      ...d
    } = row.data as ServiceFields;
    return {
      ...d,
      // `links` is the resource's own link map (Rancher convention); the compose links show here.
      serviceLinks,
      fqdn: null,
      upgrade: upgrade
        ? {
            inServiceStrategy: {
              batchSize: upgrade.batchSize,
              intervalMillis: upgrade.intervalMillis,
              startFirst: upgrade.startFirst,
              previousLaunchConfig: upgrade.previousLaunchConfig,
              previousSecondaryLaunchConfigs: upgrade.previousSecondaryLaunchConfigs,
            },
          }
        : null,
      schedulingMessage: d.schedulingMessage || null,
      system: false,
      // Rancher shows each kind as its own type (what `rancher ps` prints), all of base type service.
      type: d.kind ?? "service",
    };
  },
  related: (store, row) => ({
    instanceIds: store
      .all("container", { projectId: row.projectId!, dataField: ["serviceId", formatId("service", row.id)] })
      .filter((c) => c.state !== "removed")
      .map((c) => formatId("container", c.id)),
  }),
  links: (_row, self) => ({
    instances: `${self.replace(/\/services\/([^/]+)$/, "/containers")}?serviceId=${self.split("/").at(-1)}`,
  }),
};
