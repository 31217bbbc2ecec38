import { formatId, receiverCreateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { hashSecret, newKeyPair } from "../auth/keys.ts";
import type { ReceiverFields } from "../model/receiver.ts";
import type { ServiceFields } from "../model/service.ts";
import { loadProject, loadVisible, type VerbContext } from "../services/context.ts";
import { parseInput } from "../services/input.ts";
import type { Row } from "../store/rows.ts";

/** A receiver just made: its row and its key, shown in this answer only. */
export interface NewReceiver {
  row: Row<ReceiverFields>;
  key: string;
}

/** The trigger URL of a receiver (its key is in it: shown once). */
export function endpointUrl(base: string, key: string, projectId: string): string {
  return `${base}/v1-webhooks/endpoint?key=${encodeURIComponent(key)}&projectId=${encodeURIComponent(projectId)}`;
}

/**
 * Creates a webhook receiver in an environment. The key is a 20-character public part (finds the
 * row) followed by a 40-character secret (238 bits) stored as a salted HMAC digest, as API keys
 * are (auth/keys.ts): the database never holds a usable key. A scaleService receiver must name a
 * service of its environment.
 */
export function createReceiver(ctx: VerbContext, projectId: string, body: unknown): NewReceiver {
  const input = parseInput(receiverCreateSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    const pid = formatId("project", project.id);
    if (ctx.store.all("receiver", { projectId: pid, state: ["active"] }).some((r) => r.name === input.name))
      throw new AppError("NotUnique", `a receiver named ${input.name} exists in this environment`, {
        detail: { field: "name" },
      });
    const scale = input.scaleServiceConfig;
    if (scale) {
      const svc = ctx.store.getByPublicId<ServiceFields>("service", scale.serviceId);
      if (!svc || svc.projectId !== pid || svc.state === "removed")
        throw new AppError(
          "InvalidReference",
          `scaleServiceConfig.serviceId: service ${scale.serviceId} not found`,
          {
            detail: { field: "scaleServiceConfig.serviceId" },
          },
        );
    }
    const pair = newKeyPair();
    const row = ctx.store.insert<ReceiverFields>("receiver", {
      projectId: pid,
      name: input.name,
      state: "active",
      lookup: pair.publicValue,
      secret: hashSecret(pair.secretValue),
      data: {
        driver: input.driver,
        ...(scale ? { scaleServiceConfig: scale } : {}),
        ...(input.serviceUpgradeConfig ? { serviceUpgradeConfig: input.serviceUpgradeConfig } : {}),
        publicValue: pair.publicValue,
      },
    });
    return { row, key: `${pair.publicValue}${pair.secretValue}` };
  });
}

/** Removes a receiver: its URL answers 404 from now on. */
export function removeReceiver(ctx: VerbContext, id: string): Row<ReceiverFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<ReceiverFields>(ctx, "receiver", id);
    if (row.state === "removed") throw new AppError("ActionNotAvailable", `receiver ${id} is removed`);
    return ctx.store.update<ReceiverFields>(row.id, { state: "removed", removed: Date.now(), lookup: null })!;
  });
}
