import {
  formatId,
  registryCreateSchema,
  registryCredentialCreateSchema,
  registryCredentialUpdateSchema,
  registryUpdateSchema,
} from "@corral/api";
import { AppError } from "@corral/lib";
import type { Row } from "../store/rows.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { vaultOf } from "./vault.ts";

/** Stored fields of a registry (Rancher 1.6's `registry`). */
export interface RegistryFields {
  serverAddress: string;
  description?: string;
}

/**
 * Stored fields of a registry credential. The password is not among them: it lives sealed in the
 * row's secret column, which no answer, event stream or audit row includes.
 */
export interface RegistryCredentialFields {
  registryId: string;
  publicValue: string;
  email?: string;
  description?: string;
}

/** Docker Hub's spellings, all one registry for matching credentials to image references. */
const dockerHub = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** The address credentials are matched on: Docker Hub's aliases fold to `docker.io`, case ignored. */
export function canonicalRegistry(address: string): string {
  const a = address.toLowerCase();
  return dockerHub.has(a) ? "docker.io" : a;
}

function activeProject(ctx: VerbContext, projectId: string): string {
  const project = loadProject(ctx, projectId);
  if (project.state !== "active")
    throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
  return formatId("project", project.id);
}

/** Creates a registry; one per server address in an environment. */
export function createRegistry(ctx: VerbContext, projectId: string, body: unknown): Row<RegistryFields> {
  const input = parseInput(registryCreateSchema, body);
  return ctx.store.transaction(() => {
    const pid = activeProject(ctx, projectId);
    const address = canonicalRegistry(input.serverAddress);
    const clash = ctx.store
      .all<RegistryFields>("registry", { projectId: pid })
      .some((r) => r.state !== "removed" && canonicalRegistry(r.data.serverAddress) === address);
    if (clash)
      throw new AppError("NotUnique", `a registry for ${input.serverAddress} exists in this environment`, {
        detail: { field: "serverAddress" },
      });
    return ctx.store.insert<RegistryFields>("registry", {
      projectId: pid,
      name: input.name ?? input.serverAddress,
      state: "active",
      data: {
        serverAddress: input.serverAddress,
        ...(input.description ? { description: input.description } : {}),
      },
    });
  });
}

/** Edits a registry's name or description (its address is what credentials were given for). */
export function updateRegistry(ctx: VerbContext, id: string, body: unknown): Row<RegistryFields> {
  const input = parseInput(registryUpdateSchema, body);
  return ctx.store.transaction(() => {
    const row = loadVisible<RegistryFields>(ctx, "registry", id);
    if (row.state === "removed") throw new AppError("InvalidState", `registry ${id} is removed`);
    return ctx.store.update<RegistryFields>(row.id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      data: input.description !== undefined ? { description: input.description } : {},
    })!;
  });
}

/** Removes a registry and its credentials (their sealed passwords are erased). */
export function removeRegistry(ctx: VerbContext, id: string): Row<RegistryFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<RegistryFields>(ctx, "registry", id);
    if (row.state === "removed") throw new AppError("ActionNotAvailable", `registry ${id} is removed`);
    const now = Date.now();
    for (const c of credentialsOf(ctx, row.projectId!, id))
      ctx.store.update(c.id, { state: "removed", removed: now, secret: null });
    return ctx.store.update<RegistryFields>(row.id, { state: "removed", removed: now })!;
  });
}

function credentialsOf(ctx: VerbContext, projectId: string, registryId: string) {
  return ctx.store
    .all<RegistryCredentialFields>("registryCredential", { projectId })
    .filter((c) => c.state !== "removed" && c.data.registryId === registryId);
}

/** Creates a credential for a registry of the same environment; its password is sealed at once. */
export function createRegistryCredential(
  ctx: VerbContext,
  projectId: string,
  body: unknown,
): Row<RegistryCredentialFields> {
  const input = parseInput(registryCredentialCreateSchema, body);
  return ctx.store.transaction(() => {
    const pid = activeProject(ctx, projectId);
    const registry = ctx.store.getByPublicId<RegistryFields>("registry", input.registryId);
    if (!registry || registry.projectId !== pid || registry.state === "removed")
      throw new AppError(
        "InvalidReference",
        `registryId: no registry ${input.registryId} in this environment`,
        {
          detail: { field: "registryId" },
        },
      );
    if (credentialsOf(ctx, pid, input.registryId).length > 0)
      throw new AppError(
        "NotUnique",
        `registry ${input.registryId} has a credential: edit or remove it first`,
        {
          detail: { field: "registryId" },
        },
      );
    return ctx.store.insert<RegistryCredentialFields>("registryCredential", {
      projectId: pid,
      name: input.name ?? input.publicValue,
      state: "active",
      secret: vaultOf(ctx.store).seal(input.secretValue),
      data: {
        registryId: input.registryId,
        publicValue: input.publicValue,
        ...(input.email ? { email: input.email } : {}),
        ...(input.description ? { description: input.description } : {}),
      },
    });
  });
}

/** Edits a credential; a new secretValue is sealed and replaces the old one. */
export function updateRegistryCredential(
  ctx: VerbContext,
  id: string,
  body: unknown,
): Row<RegistryCredentialFields> {
  const input = parseInput(registryCredentialUpdateSchema, body);
  return ctx.store.transaction(() => {
    const row = loadVisible<RegistryCredentialFields>(ctx, "registryCredential", id);
    if (row.state === "removed") throw new AppError("InvalidState", `registryCredential ${id} is removed`);
    const data: Partial<RegistryCredentialFields> = {};
    if (input.publicValue !== undefined) data.publicValue = input.publicValue;
    if (input.email !== undefined) data.email = input.email;
    if (input.description !== undefined) data.description = input.description;
    return ctx.store.update<RegistryCredentialFields>(row.id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.secretValue !== undefined ? { secret: vaultOf(ctx.store).seal(input.secretValue) } : {}),
      data,
    })!;
  });
}

/** Removes a credential and erases its sealed password. */
export function removeRegistryCredential(ctx: VerbContext, id: string): Row<RegistryCredentialFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<RegistryCredentialFields>(ctx, "registryCredential", id);
    if (row.state === "removed")
      throw new AppError("ActionNotAvailable", `registryCredential ${id} is removed`);
    return ctx.store.update<RegistryCredentialFields>(row.id, {
      state: "removed",
      removed: Date.now(),
      secret: null,
    })!;
  });
}
