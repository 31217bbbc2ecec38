import { formatId } from "@corral/api";
import { auditStackBody } from "../../catalog/audit-answers.ts";
import type { StackFields } from "../../model/service.ts";
import {
  createStack,
  exportStackConfig,
  removeStack,
  setStackServicesActive,
  settleStackUpgrade,
  upgradeStack,
} from "../../services/stacks.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `stack`: a group of services deployed from compose files (Rancher 1.6's stack, v1's environment). */
export const stackResource: ResourceDef = {
  type: "stack",
  collection: "stacks",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, required: true, filter: true },
    description: { type: "string", create: true, nullable: true },
    dockerCompose: { type: "string", create: true },
    rancherCompose: { type: "string", create: true },
    environment: { type: "map[string]", create: true },
    answers: { type: "map[string]", create: true },
    externalId: { type: "string", create: true, nullable: true, filter: true },
    startOnCreate: { type: "boolean", create: true },
    healthState: {
      type: "enum",
      options: ["healthy", "degraded", "unhealthy", "initializing"],
      filter: true,
    },
    serviceIds: { type: "array[reference[service]]" },
    warnings: { type: "array[string]" },
    system: { type: "boolean", filter: true },
    upgradeAvailable: { type: "boolean", filter: true },
    upgradeVersions: { type: "map[string]" },
  },
  auditBody: auditStackBody,
  create: (ctx, projectId, body) => ({ row: createStack(ctx, projectId ?? "", body) }),
  remove: removeStack,
  actions: {
    activateservices: {
      available: (r) => r.state === "inactive" || r.state === "active",
      run: (ctx, id) => setStackServicesActive(ctx, id, true),
    },
    deactivateservices: {
      available: (r) => r.state === "active",
      run: (ctx, id) => setStackServicesActive(ctx, id, false),
    },
    upgrade: {
      available: (r) => r.state === "active" || r.state === "inactive",
      run: (ctx, id, body) => upgradeStack(ctx, id, body),
      accepted: true,
    },
    finishupgrade: {
      available: (r) => ["upgrading", "upgraded"].includes(r.state),
      run: (ctx, id) => settleStackUpgrade(ctx, id, "finish"),
      accepted: true,
    },
    rollback: {
      available: (r) => ["upgrading", "upgraded"].includes(r.state),
      run: (ctx, id) => settleStackUpgrade(ctx, id, "rollback"),
      accepted: true,
    },
    cancelupgrade: {
      available: (r) => r.state === "upgrading",
      run: (ctx, id) => settleStackUpgrade(ctx, id, "cancel"),
    },
    exportconfig: { available: (r) => r.state !== "removed", run: (ctx, id) => exportStackConfig(ctx, id) },
    remove: {
      available: (r) => r.state !== "removed",
      run: (ctx, id) => removeStack(ctx, id),
      accepted: true,
    },
  },
  present: (row) => {
    const d = row.data as StackFields;
    return {
      description: d.description ?? null,
      dockerCompose: d.dockerCompose,
      rancherCompose: d.rancherCompose,
      environment: d.environment,
      externalId: d.externalId ?? null,
      startOnCreate: d.startOnCreate,
      healthState: d.healthState,
      warnings: d.warnings ?? [],
      system: d.system === true,
      // Password answers are kept sealed apart from `environment` and never shown.
      upgradeAvailable: d.upgradeAvailable === true,
      upgradeVersions: d.upgradeVersions ?? {},
    };
  },
  related: (store, row) => ({
    serviceIds: store
      .all("service", { projectId: row.projectId!, dataField: ["stackId", formatId("stack", row.id)] })
      .filter((s) => s.state !== "removed")
      .map((s) => formatId("service", s.id)),
  }),
  links: (_row, self) => ({
    services: `${self.replace(/\/stacks\/([^/]+)$/, "/services")}?stackId=${self.split("/").at(-1)}`,
  }),
};
