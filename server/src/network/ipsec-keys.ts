import { randomBytes } from "node:crypto";
import { AppError } from "@corral/lib";
import { loadProject, requireAdminOrOwner, type VerbContext } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/**
 * The environment's IPsec pre-shared keys. They live in the project row's `secret` column, which
 * is never part of a row as the API, the audit log or the change listeners see it, so a key cannot
 * leak through any of them; only the network view sent to the environment's own agents carries it.
 */

/** The stored keys: the current one, and the one before the last rotation (still accepted). */
export interface IpsecKeys {
  psk: string;
  previousPsk: string | null;
  rotatedAt: number;
}

/** Bytes of randomness in a key (base64 of 48 bytes: 64 characters). */
const keyBytes = 48;

/** A new random key, base64. */
export function newPsk(): string {
  return randomBytes(keyBytes).toString("base64");
}

/** The secret column holds JSON so other secrets of a project can join it later. */
function parseSecret(text: string | null): { ipsec?: IpsecKeys } {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as { ipsec?: IpsecKeys };
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

/** The environment's keys, made on first use. Null when the project does not exist. */
export function ipsecKeysOf(store: Store, projectId: string): IpsecKeys | null {
  const project = store.getByPublicId("project", projectId);
  if (!project) return null;
  const stored = parseSecret(store.secretOf(project.id));
  if (stored.ipsec?.psk) return stored.ipsec;
  return store.transaction(() => {
    // Settled inside the transaction: two publishers racing must not make two different keys.
    const again = parseSecret(store.secretOf(project.id));
    if (again.ipsec?.psk) return again.ipsec;
    const keys: IpsecKeys = { psk: newPsk(), previousPsk: null, rotatedAt: Date.now() };
    store.update(project.id, { secret: JSON.stringify({ ...again, ipsec: keys }) });
    return keys;
  });
}

/**
 * The `rotateipsecpsk` action: a new key becomes current and the old one stays accepted, so hosts
 * that get the new view a moment later still authenticate, and SAs already up are never torn down
 * (the key is only used when an IKE SA is made; rekeying does not ask for it again). The data
 * change (`ipsecPskRotatedAt`) makes the publisher send every host its new view.
 */
export function rotateIpsecPsk(ctx: VerbContext, projectId: string): Row {
  requireAdminOrOwner(ctx, projectId);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `project ${projectId} is ${project.state}`);
    const stored = parseSecret(ctx.store.secretOf(project.id));
    const now = Date.now();
    const keys: IpsecKeys = { psk: newPsk(), previousPsk: stored.ipsec?.psk ?? null, rotatedAt: now };
    return ctx.store.update(project.id, {
      secret: JSON.stringify({ ...stored, ipsec: keys }),
      data: { ipsecPskRotatedAt: new Date(now).toISOString() },
    })!;
  });
}
