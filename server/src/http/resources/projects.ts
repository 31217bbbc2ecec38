import { AppError } from "@corral/lib";
import type { ProjectFields } from "../../model/project.ts";
import type { IpsecHealth } from "../../network/ipsec-health.ts";
import { rotateIpsecPsk } from "../../network/ipsec-keys.ts";
import { projectPolicy } from "../../services/container-policy.ts";
import { type OsRollout, startOsRollout } from "../../services/os-rollout.ts";
import { setMembers } from "../../services/project-members.ts";
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
    containerPolicy: {
      type: "containerPolicy",
      create: true,
      update: true,
      description:
        "what containers may take from their hosts; admins only (rules given replace the current ones)",
    },
    projectTemplateId: {
      type: "reference[projectTemplate]",
      create: true,
      nullable: true,
      description: "1pt1 (Cattle), the one template: every environment runs Cattle orchestration",
    },
    members: {
      type: "array[projectMember]",
      create: true,
      nullable: true,
      description: "the first members ({externalId, externalIdType, role}); by default the creator, as owner",
    },
    orchestration: { type: "string" },
    healthState: { type: "enum", options: ["healthy", "degraded", "unhealthy", "initializing"] },
    ipsecHealth: { type: "enum", options: ["healthy", "degraded", "unhealthy"] },
    osRollout: {
      type: "json",
      nullable: true,
      description:
        "the last rolling CorralOS upgrade: state (running, done, failed), hosts in order, current, reason",
    },
  },
  create: (ctx, _pid, body) => {
    const { members, rest } = withoutMembers(withoutTemplate(body));
    return { row: createProject(ctx, rest, members) };
  },
  update: updateProject,
  remove: removeProject,
  actions: {
    activate: { available: (r) => r.state === "inactive", run: (ctx, id) => setProjectActive(ctx, id, true) },
    deactivate: {
      available: (r) => r.state === "active",
      run: (ctx, id) => setProjectActive(ctx, id, false),
    },
    // New IPsec key for the environment; the old one stays accepted (answers the project, never a key).
    rotateipsecpsk: { available: (r) => r.state === "active", run: (ctx, id) => rotateIpsecPsk(ctx, id) },
    // Rancher 1.6's: replaces the member list in one go (answers the project).
    // A rolling CorralOS upgrade of the environment's hosts, one at a time (answers the project).
    osupgrade: {
      available: (r) => r.state === "active",
      run: (ctx, id, body) => {
        startOsRollout(ctx, id, body);
        return ctx.store.getByPublicId("project", id)!;
      },
      accepted: true,
    },
    setmembers: {
      available: (r) => r.state === "active" || r.state === "inactive",
      run: (ctx, id, body) => setMembers(ctx, id, body),
    },
  },
  present: (row) => {
    const d = row.data as unknown as ProjectFields & {
      healthState?: string;
      ipsecHealth?: IpsecHealth;
      osRollout?: OsRollout;
    };
    return {
      description: d.description ?? null,
      servicesPortRange: d.servicesPortRange ?? null,
      containerPolicy: projectPolicy(d),
      orchestration: "cattle",
      // The environment's health, rolled up from its stacks by the orchestrator.
      healthState: d.healthState ?? "healthy",
      // The overlay's mesh, from every active host's own tunnel reports.
      ipsecHealth: d.ipsecHealth ?? "healthy",
      osRollout: d.osRollout ?? null,
    };
  },
  links: (_row, self) => ({
    hosts: `${self}/hosts`,
    containers: `${self}/containers`,
    stacks: `${self}/stacks`,
    services: `${self}/services`,
    registrationTokens: `${self}/registrationtokens`,
    apiKeys: `${self}/apikeys`,
    projectMembers: `${self}/projectmembers`,
    auditLogs: `${self}/auditlogs`,
  }),
};

/** The body's `members` (given only on create; `setmembers` changes them later) and the rest. */
function withoutMembers(body: unknown): { members: unknown; rest: unknown } {
  if (body === null || typeof body !== "object" || Array.isArray(body) || !("members" in body))
    return { members: undefined, rest: body };
  const { members, ...rest } = body as Record<string, unknown>;
  return { members, rest };
}

/** The body without `projectTemplateId`, which may only name the Cattle template (`1pt1`). */
function withoutTemplate(body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body) || !("projectTemplateId" in body))
    return body;
  const { projectTemplateId, ...rest } = body as Record<string, unknown>;
  if (projectTemplateId !== null && projectTemplateId !== "1pt1")
    throw new AppError(
      "InvalidReference",
      "projectTemplateId: the only environment template is 1pt1 (Cattle)",
      {
        detail: { field: "projectTemplateId" },
      },
    );
  return rest;
}
