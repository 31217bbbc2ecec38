import { formatId, secretCreateSchema, secretUpdateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ServiceFields } from "../model/service.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";
import { vaultOf } from "./vault.ts";

/**
 * Stored fields of a secret. Its value is not among them: it lives sealed in the row's secret
 * column, which no answer, event stream or audit row includes.
 */
export interface SecretFields {
  description?: string;
}

/** Services of the environment whose launch configs reference a secret (by id or name). */
export function servicesUsingSecret(store: Store, row: Row): string[] {
  const id = formatId("secret", row.id);
  return store
    .all<ServiceFields>("service", { projectId: row.projectId! })
    .filter((s) => s.state !== "removed")
    .filter((s) =>
      [s.data.launchConfig, ...(s.data.secondaryLaunchConfigs ?? [])].some((lc) =>
        (lc?.secrets ?? []).some((r) => r.secretId === id || r.secretId === row.name),
      ),
    )
    .map((s) => s.name ?? formatId("service", s.id));
}

/** Creates a secret; its (base64) value is sealed before it is stored. */
export function createSecret(ctx: VerbContext, projectId: string, body: unknown): Row<SecretFields> {
  const input = parseInput(secretCreateSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    const clash = ctx.store
      .all("secret", { projectId: pid })
      .some((s) => s.state !== "removed" && s.name === input.name);
    if (clash)
      throw new AppError("NotUnique", `a secret named ${input.name} exists in this environment`, {
        detail: { field: "name" },
      });
    return ctx.store.insert<SecretFields>("secret", {
      projectId: pid,
      name: input.name,
      state: "active",
      secret: vaultOf(ctx.store).seal(input.value),
      data: input.description ? { description: input.description } : {},
    });
  });
}

/**
 * Edits a secret: a new value is sealed and reaches every container made from then on (upgrade
 * the services that use it); running containers keep the files they were given.
 */
export function updateSecret(ctx: VerbContext, id: string, body: unknown): Row<SecretFields> {
  const input = parseInput(secretUpdateSchema, body);
  return ctx.store.transaction(() => {
    const row = loadVisible<SecretFields>(ctx, "secret", id);
    if (row.state === "removed") throw new AppError("InvalidState", `secret ${id} is removed`);
    return ctx.store.update<SecretFields>(row.id, {
      ...(input.value !== undefined ? { secret: vaultOf(ctx.store).seal(input.value) } : {}),
      data: input.description !== undefined ? { description: input.description } : {},
    })!;
  });
}

/** Removes a secret unless a service still uses it; the sealed value is erased. */
export function removeSecret(ctx: VerbContext, id: string): Row<SecretFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<SecretFields>(ctx, "secret", id);
    if (row.state === "removed") throw new AppError("ActionNotAvailable", `secret ${id} is removed`);
    const users = servicesUsingSecret(ctx.store, row);
    if (users.length > 0)
      throw new AppError(
        "ActionNotAvailable",
        `secret ${row.name} is used by ${users.slice(0, 10).join(", ")}`,
      );
    return ctx.store.update<SecretFields>(row.id, { state: "removed", removed: Date.now(), secret: null })!;
  });
}
