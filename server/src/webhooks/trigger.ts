import { formatId } from "@corral/api";
import { AppError, createLogger } from "@corral/lib";
import { checkSecret, hashSecret } from "../auth/keys.ts";
import type { Principal } from "../auth/principal.ts";
import type { ReceiverFields } from "../model/receiver.ts";
import type { ServiceFields } from "../model/service.ts";
import { runFinish, runUpgrade } from "../orchestrator/runners.ts";
import { writeAudit } from "../services/audit.ts";
import type { Dispatcher, ServerSettings, VerbContext } from "../services/context.ts";
import { startUpgrade, updateService } from "../services/services.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { canonicalRepository, type Push, parseImage, pushesOf } from "./payloads.ts";

const log = createLogger("server.webhooks");

/** Length of a key's public part (it finds the row); the rest is the secret. */
const publicLength = 20;

/**
 * A digest no key matches: an unknown key is checked against it, so that finding no receiver costs
 * the same HMAC as finding one with a wrong secret (no timing tells which keys exist).
 */
const decoy = hashSecret("no receiver has this key");

/** What the endpoint needs besides the request. */
export interface TriggerDeps {
  store: Store;
  dispatcher: Dispatcher;
  settings: ServerSettings;
}

/**
 * The active receiver a key and environment name, or NotFound. The same work is done whether the
 * public part names a row or not, and a wrong environment is refused only after the secret check.
 */
export function receiverForKey(store: Store, key: string, projectId: string): Row<ReceiverFields> {
  const k = key.slice(0, 200);
  // One indexed read of the id and digest only, found or not; the row is read once the key holds.
  const hit = store.db
    .query<{ id: number; secret: string | null }, [string]>(
      "SELECT id, secret FROM resource WHERE type = 'receiver' AND lookup = ?",
    )
    .get(k.slice(0, publicLength));
  const { ok } = checkSecret(k.slice(publicLength), hit?.secret ?? decoy);
  const row = ok && hit ? store.get<ReceiverFields>(hit.id) : null;
  if (row?.state !== "active" || row.projectId !== projectId)
    throw new AppError("NotFound", "unknown webhook key");
  return row;
}

/** The principal a receiver acts as: a key of its own environment. */
function receiverPrincipal(row: Row<ReceiverFields>): Principal {
  return {
    kind: "project",
    accountId: row.projectId!,
    keyId: formatId("receiver", row.id),
    projectId: row.projectId!,
    via: "key",
  };
}

/** What a trigger did, as the endpoint answers it and the audit row describes it. */
export interface TriggerResult {
  receiverId: string;
  driver: string;
  message: string;
  services: { id: string; name: string; outcome: string }[];
}

/**
 * Runs a receiver for one request: scaleService ignores the body; serviceUpgrade reads it in the
 * receiver's payload format. Writes an audit row of every outcome (a refused payload included).
 */
export function trigger(
  deps: TriggerDeps,
  row: Row<ReceiverFields>,
  body: unknown,
  clientIp: string,
): TriggerResult {
  const ctx: VerbContext = { ...deps, principal: receiverPrincipal(row) };
  try {
    return deps.store.transaction(() => {
      const result =
        row.data.driver === "scaleService"
          ? scale(ctx, row)
          : upgrade(ctx, row, pushesOf(row.data.serviceUpgradeConfig!.payloadFormat, body));
      deps.store.update<ReceiverFields>(row.id, {
        data: { lastTriggered: Date.now(), lastResult: result.message.slice(0, 512) },
      });
      auditTrigger(deps.store, row, body, clientIp, 200, result.message);
      return result;
    });
  } catch (e) {
    auditTrigger(
      deps.store,
      row,
      body,
      clientIp,
      e instanceof AppError ? e.status : 500,
      (e as Error).message,
    );
    throw e;
  }
}

/** Writes the audit row of one call of a receiver's URL (as the receiver: no account called it). */
export function auditTrigger(
  store: Store,
  row: Row<ReceiverFields>,
  body: unknown,
  clientIp: string,
  code: number,
  description: string,
): void {
  writeAudit(store, {
    principal: receiverPrincipal(row),
    clientIp,
    eventType: "webhook.trigger",
    resourceType: "receiver",
    resourceId: formatId("receiver", row.id),
    projectId: row.projectId,
    requestObject: body,
    responseCode: code,
    description: description.slice(0, 1024),
  });
}

function scale(ctx: VerbContext, row: Row<ReceiverFields>): TriggerResult {
  const cfg = row.data.scaleServiceConfig!;
  const svc = ctx.store.getByPublicId<ServiceFields>("service", cfg.serviceId);
  const base = { receiverId: formatId("receiver", row.id), driver: "scaleService" };
  if (!svc || svc.projectId !== row.projectId || svc.state === "removed" || svc.state === "removing")
    throw new AppError("InvalidReference", `service ${cfg.serviceId} of the receiver is gone`);
  const from = svc.data.scale ?? 1;
  const to =
    cfg.action === "up" ? Math.min(from + cfg.amount, cfg.max) : Math.max(from - cfg.amount, cfg.min);
  const one = { id: cfg.serviceId, name: svc.name ?? "" };
  if (to === from) {
    const bound = cfg.action === "up" ? `max ${cfg.max}` : `min ${cfg.min}`;
    return {
      ...base,
      message: `service ${svc.name} stays at scale ${from} (${bound})`,
      services: [{ ...one, outcome: "unchanged" }],
    };
  }
  updateService(ctx, cfg.serviceId, { scale: to });
  return {
    ...base,
    message: `service ${svc.name} scaled from ${from} to ${to}`,
    services: [{ ...one, outcome: `scale ${to}` }],
  };
}

/** True when every selector label is on the service's primary launch config. */
function selected(svc: Row<ServiceFields>, selector: Record<string, string>): boolean {
  const labels = svc.data.launchConfig?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const upgradable = ["active", "activating", "inactive"];

function upgrade(ctx: VerbContext, row: Row<ReceiverFields>, pushes: Push[]): TriggerResult {
  const cfg = row.data.serviceUpgradeConfig!;
  const base = { receiverId: formatId("receiver", row.id), driver: "serviceUpgrade" };
  const wanted = pushes.filter((p) => p.tag === cfg.tag);
  if (wanted.length === 0) {
    const seen = pushes.map((p) => `${p.repository}:${p.tag}`).join(", ") || "no tagged push";
    return {
      ...base,
      message: `nothing to do: ${seen} (the receiver reacts to tag ${cfg.tag})`,
      services: [],
    };
  }
  const services: TriggerResult["services"] = [];
  const candidates = ctx.store
    .all<ServiceFields>("service", { projectId: row.projectId! })
    .filter((s) => s.state !== "removed" && s.state !== "removing" && selected(s, cfg.serviceSelector));
  for (const svc of candidates) {
    const lc = svc.data.launchConfig;
    if (!lc?.imageUuid) continue;
    const image = parseImage(lc.imageUuid);
    const push = wanted.find((p) => canonicalRepository(p.repository) === image.canonical);
    if (!push) continue;
    const id = formatId("service", svc.id);
    const next = { ...lc, imageUuid: `docker:${image.written}:${push.tag}` };
    const strategy = {
      batchSize: cfg.batchSize,
      intervalMillis: cfg.intervalMillis,
      startFirst: cfg.startFirst,
    };
    const one = { id, name: svc.name ?? "" };
    if (upgradable.includes(svc.state)) {
      const started = startUpgrade(ctx.store, svc, next, undefined, strategy);
      ctx.store.afterCommit(() => runUpgrade(ctx.store, ctx.dispatcher, started.id));
      services.push({ ...one, outcome: `upgrading to ${next.imageUuid.slice(7)}` });
    } else if (svc.state === "upgraded") {
      // The last push's upgrade is still waiting for finishupgrade: finish it, then upgrade again.
      ctx.store.update(svc.id, { state: "finishing-upgrade" }, ["upgraded"]);
      ctx.store.afterCommit(() => void finishThenUpgrade(ctx, svc.id, next, strategy));
      services.push({
        ...one,
        outcome: `finishing the last upgrade, then upgrading to ${next.imageUuid.slice(7)}`,
      });
    } else services.push({ ...one, outcome: `skipped: the service is ${svc.state}` });
  }
  const names = services.map((s) => `${s.name}: ${s.outcome}`).join("; ");
  const pushed = wanted.map((p) => `${p.repository}:${p.tag}`).join(", ");
  return { ...base, message: `${pushed}: ${names || "no service matches"}`, services };
}

async function finishThenUpgrade(
  ctx: VerbContext,
  id: number,
  launchConfig: NonNullable<ServiceFields["launchConfig"]>,
  strategy: { batchSize: number; intervalMillis: number; startFirst: boolean },
): Promise<void> {
  await runFinish(ctx.store, ctx.dispatcher, id);
  try {
    const started = ctx.store.transaction(() => {
      const svc = ctx.store.get<ServiceFields>(id);
      if (!svc || !upgradable.includes(svc.state))
        throw new AppError("ActionNotAvailable", `service is ${svc?.state ?? "gone"}`);
      return startUpgrade(ctx.store, svc, launchConfig, undefined, strategy);
    });
    await runUpgrade(ctx.store, ctx.dispatcher, started.id);
  } catch (e) {
    log.warn("webhook upgrade after finish not started", {
      service: formatId("service", id),
      error: (e as Error).message,
    });
  }
}
