import type { ProjectFields } from "../../services/context.ts";
import { createProject, removeProject, setProjectActive, updateProject } from "../../services/projects.ts";
import type { ResourceDef } from "../definition.ts";
import { commonFields } from "./common.ts";

/** `project`: an environment, the unit of isolation for hosts, containers and keys. */
export const projectResource: ResourceDef = {
  type: "project",
  collection: "projects",
  scoped: false,
  fields: {
    ...commonFields,
    name: { type: "string", create: true, update: true, required: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true, filter: true },
    servicesPortRange: { type: "servicesPortRange", create: true, update: true, nullable: true },
    members: { type: "array[reference[account]]" },
    orchestration: { type: "string" },
    healthState: { type: "enum", options: ["healthy", "degraded", "unhealthy", "initializing"] },
  },
  create: (ctx, _pid, body) => ({ row: createProject(ctx, body) }),
  update: updateProject,
  remove: removeProject,
  actions: {
    activate: { available: (r) => r.state === "inactive", run: (ctx, id) => setProjectActive(ctx, id, true) },
    deactivate: {
      available: (r) => r.state === "active",
      run: (ctx, id) => setProjectActive(ctx, id, false),
    },
  },
  present: (row) => {
    const d = row.data as unknown as ProjectFields & { healthState?: string };
    return {
      description: d.description ?? null,
      servicesPortRange: d.servicesPortRange ?? null,
      members: d.members,
      orchestration: "cattle",
      // The environment's health, rolled up from its stacks by the orchestrator.
      healthState: d.healthState ?? "healthy",
    };
  },
  links: (_row, self) => ({
    hosts: `${self}/hosts`,
    containers: `${self}/containers`,
    stacks: `${self}/stacks`,
    services: `${self}/services`,
    registrationTokens: `${self}/registrationtokens`,
    apiKeys: `${self}/apikeys`,
    auditLogs: `${self}/auditlogs`,
  }),
};
