// Rolling CorralOS upgrades: one host at a time, each gated on the one before it. A host is sent
// `host.osupgrade` (its agent asks PID 1 to write the other slot, answers, then reboots); the next
// host starts only once this one came back (a new boot id), connected, on the written version,
// with the boot gate's "healthy" as the last outcome of its slot history. A host that comes back on
// its old version (the gate rolled it back) or not within the deadline stops the rollout, with the
// host's own recorded reason. The rollout's progress lives on the environment (`osRollout`) and on
// each host (`osUpgrade`); every host's outcome leaves an audit row.
import { type CorralOsFacts, formatId, osVersionSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { z } from "zod";
import type { HostFields } from "../model/host.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { writeAudit } from "./audit.ts";
import { type Dispatcher, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Where one host is in a rollout. */
export interface HostOsUpgrade {
  state: "queued" | "upgrading" | "rebooting" | "done" | "failed" | "skipped";
  rolloutId: string;
  /** The version asked for, then the version the agent wrote. */
  target: string | null;
  fromVersion: string;
  reason?: string;
  at: number;
}

/** The environment's last rollout. */
export interface OsRollout {
  id: string;
  state: "running" | "done" | "failed";
  request: { version?: string; channel?: string; file?: string };
  hostIds: string[];
  current: string | null;
  startedAt: number;
  endedAt: number | null;
  reason?: string;
}

/** How long a host may take to write, reboot and prove healthy (the boot gate's own is 300 s). */
export const defaultOsUpgradeDeadlineS = 1200;

const releaseFile = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (f) => /^\/(var\/lib\/corral|home)\//.test(f) && !f.split("/").includes(".."),
    "a release file is a path on the host under /var/lib/corral or /home",
  );

/** The input of `osupgrade` on a host or an environment. */
export const osUpgradeInputSchema = z
  .strictObject({
    version: osVersionSchema.optional(),
    /** Rancher's clients call the version an image (`corral os upgrade -i`). */
    image: osVersionSchema.optional(),
    channel: z
      .string()
      .max(2048)
      .regex(/^(https?:\/\/\S+|\/\S+)$/, "a channel is an http(s) URL or a path on the host")
      .optional(),
    file: releaseFile.optional(),
    hostIds: z.array(z.string().min(1).max(32)).min(1).max(1000).optional(),
    /** Hosts upgraded at once: one, so a bad release stops at the first host. */
    batchSize: z.literal(1).optional(),
    deadlineSeconds: z.number().int().min(60).max(86400).optional(),
  })
  .refine((d) => [d.version, d.image, d.file].filter((v) => v !== undefined).length === 1, {
    message: "give one of version (or image) and file",
  });

/** The CorralOS facts of a host row, or null. */
function osOf(data: HostFields): CorralOsFacts | null {
  return data.info?.corralOs ?? null;
}

/**
 * Starts a rolling OS upgrade of `hostIds` (all CorralOS hosts of the environment when none are
 * given) in environment `projectId`; answers at once, the hosts follow one by one.
 */
export function startOsRollout(
  ctx: VerbContext,
  projectId: string,
  body: unknown,
  opts: { deadlineMs?: number } = {},
): OsRollout {
  if (ctx.principal.kind === "agent") throw new AppError("PermissionDenied", "agents cannot upgrade hosts");
  const input = parseInput(osUpgradeInputSchema, body);
  const project = loadVisible<{ osRollout?: OsRollout }>(ctx, "project", projectId);
  const running = project.data.osRollout;
  if (running?.state === "running")
    throw new AppError(
      "InvalidState",
      `an OS upgrade of environment ${projectId} is running (${running.id})`,
    );
  const all = ctx.store
    .all<HostFields>("host", { projectId })
    .filter((h) => h.state !== "removed" && h.state !== "purged");
  const hosts = input.hostIds
    ? input.hostIds.map((id) => {
        const h = all.find((r) => formatId("host", r.id) === id);
        if (!h) throw new AppError("InvalidReference", `host ${id} is not in environment ${projectId}`);
        return h;
      })
    : all.filter((h) => osOf(h.data)?.installed);
  if (hosts.length === 0)
    throw new AppError(
      "InvalidReference",
      `no host of environment ${projectId} runs CorralOS installed to disk`,
    );
  for (const h of hosts) {
    const os = osOf(h.data);
    const name = `host ${formatId("host", h.id)} (${h.name ?? h.data.hostname})`;
    if (!os)
      throw new AppError(
        "InvalidReference",
        `${name} does not run CorralOS (it runs ${h.data.info?.os || "an unknown system"}): only CorralOS hosts can be upgraded`,
      );
    if (!os.installed)
      throw new AppError(
        "InvalidReference",
        `${name} runs CorralOS from its ISO: install it to disk first (corral install)`,
      );
  }
  const version = input.version ?? input.image;
  const rollout: OsRollout = {
    id: `${projectId}-${Date.now().toString(36)}`,
    state: "running",
    request: {
      ...(version ? { version } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.file ? { file: input.file } : {}),
    },
    hostIds: hosts.map((h) => formatId("host", h.id)),
    current: null,
    startedAt: Date.now(),
    endedAt: null,
  };
  const deadlineMs = opts.deadlineMs ?? (input.deadlineSeconds ?? defaultOsUpgradeDeadlineS) * 1000;
  ctx.store.transaction(() => {
    ctx.store.update(project.id, { data: { osRollout: rollout } });
    for (const h of hosts) {
      const upgrade: HostOsUpgrade = {
        state: "queued",
        rolloutId: rollout.id,
        target: version ?? null,
        fromVersion: osOf(h.data)!.version,
        at: Date.now(),
      };
      ctx.store.update(h.id, { data: { osUpgrade: upgrade } });
    }
  });
  ctx.store.afterCommit(() => void runRollout(ctx, project.id, projectId, rollout, deadlineMs));
  return rollout;
}

function auditBase(ctx: VerbContext, projectId: string) {
  return { principal: ctx.principal, clientIp: "", projectId };
}

/** Runs the hosts in order; stops at the first that fails. */
async function runRollout(
  ctx: VerbContext,
  projectRowId: number,
  projectId: string,
  rollout: OsRollout,
  deadlineMs: number,
): Promise<void> {
  const { store } = ctx;
  const setRollout = (patch: Partial<OsRollout>) => {
    Object.assign(rollout, patch);
    store.update(projectRowId, { data: { osRollout: { ...rollout } } });
  };
  for (const [i, hostId] of rollout.hostIds.entries()) {
    setRollout({ current: hostId });
    const outcome = await upgradeOne(ctx, hostId, rollout, deadlineMs).catch((e: unknown) => ({
      ok: false as const,
      reason: e instanceof Error ? e.message : String(e),
    }));
    store.transaction(() => {
      writeAudit(store, {
        ...auditBase(ctx, projectId),
        eventType: "os.upgrade.host",
        resourceType: "host",
        resourceId: hostId,
        requestObject: { rolloutId: rollout.id, ...rollout.request },
        responseCode: outcome.ok ? 200 : 500,
        description: outcome.ok ? `upgraded to ${outcome.version}` : outcome.reason,
      });
      if (!outcome.ok) {
        for (const rest of rollout.hostIds.slice(i + 1))
          patchHost(store, rest, { state: "skipped", reason: `stopped at host ${hostId}` });
        setRollout({
          state: "failed",
          current: null,
          endedAt: Date.now(),
          reason: `host ${hostId}: ${outcome.reason}`,
        });
      }
    });
    if (!outcome.ok) return;
  }
  setRollout({ state: "done", current: null, endedAt: Date.now() });
}

function patchHost(store: Store, hostId: string, patch: Partial<HostOsUpgrade>): void {
  const row = store.getByPublicId<HostFields & { osUpgrade?: HostOsUpgrade }>("host", hostId);
  if (!row?.data.osUpgrade) return;
  store.update(row.id, { data: { osUpgrade: { ...row.data.osUpgrade, ...patch, at: Date.now() } } });
}

type Outcome = { ok: true; version: string } | { ok: false; reason: string };

/** Upgrades one host and waits for it to come back healthy, rolled back, or not at all. */
async function upgradeOne(
  ctx: VerbContext,
  hostId: string,
  rollout: OsRollout,
  deadlineMs: number,
): Promise<Outcome> {
  const { store, dispatcher } = ctx;
  const row = store.getByPublicId<HostFields>("host", hostId);
  const before = row ? osOf(row.data) : null;
  const fail = (reason: string): Outcome => {
    patchHost(store, hostId, { state: "failed", reason });
    return { ok: false, reason };
  };
  if (!row || row.state === "removed") return fail("the host was removed");
  if (!before) return fail("the host no longer reports CorralOS");
  if (!dispatcher.isConnected(hostId)) return fail("its agent is not connected");
  patchHost(store, hostId, { state: "upgrading" });
  let written: { version: string };
  try {
    written = await dispatcher.dispatch(hostId, "host.osupgrade", rollout.request, deadlineMs);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  patchHost(store, hostId, { state: "rebooting", target: written.version });
  const result = await waitForReturn(store, dispatcher, row.id, before, written.version, deadlineMs);
  if (!result.ok) return fail(result.reason);
  patchHost(store, hostId, { state: "done" });
  return result;
}

/**
 * Resolves when the host's facts show a new boot: healthy on `target` (ok), or back on another
 * version (the gate's reason). Event-driven: each committed change of the host row is looked at.
 */
export function waitForReturn(
  store: Store,
  dispatcher: Dispatcher,
  rowId: number,
  before: CorralOsFacts,
  target: string,
  deadlineMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let last = "it did not come back";
    const look = (): Outcome | null => {
      const row = store.get<HostFields>(rowId);
      if (!row || row.state === "removed") return { ok: false, reason: "the host was removed" };
      const os = osOf(row.data);
      if (!os || os.bootId === before.bootId) return null;
      if (!dispatcher.isConnected(formatId("host", rowId))) return null;
      if (os.version !== target) {
        const why = os.lastBoot?.outcome === "rolled-back" ? os.lastBoot.reason : undefined;
        return { ok: false, reason: `rolled back to ${os.version}${why ? `: ${why}` : ` (not ${target})`}` };
      }
      if (os.lastBoot?.outcome === "healthy" && os.lastBoot.version === target && !os.trial)
        return { ok: true, version: target };
      last = `it runs ${target} but is not healthy yet (${os.lastBoot?.outcome ?? "no boot record"}${os.lastBoot?.reason ? `: ${os.lastBoot.reason}` : ""})`;
      return null;
    };
    const finish = (o: Outcome) => {
      stop();
      clearTimeout(timer);
      resolve(o);
    };
    const stop = store.onChange((c) => {
      if (c.row.id !== rowId) return;
      const o = look();
      if (o) finish(o);
    });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: `not back healthy on ${target} within ${Math.round(deadlineMs / 1000)} s: ${last}`,
        }),
      deadlineMs,
    );
    const now = look();
    if (now) finish(now);
  });
}

/** `osupgrade` on one host: a rollout of that host alone. */
export function startHostOsUpgrade(ctx: VerbContext, hostId: string, body: unknown): Row<HostFields> {
  const host = loadVisible<HostFields>(ctx, "host", hostId);
  if (body && typeof body === "object" && "hostIds" in body)
    throw new AppError("InvalidFormat", "hostIds: an upgrade of one host names no other hosts");
  startOsRollout(ctx, host.projectId!, { ...(body as object), hostIds: [hostId] });
  return ctx.store.get<HostFields>(host.id)!;
}

/**
 * At server start: a rollout the last process left running has no runner any more. It ends failed
 * (its hosts finish their own upgrade or rollback on their own; their facts say how), so a new one
 * can be started.
 */
export function endInterruptedOsRollouts(store: Store): void {
  const reason = "the server restarted during the rollout: start it again for the hosts left";
  for (const p of store.all<{ osRollout?: OsRollout }>("project")) {
    const r = p.data.osRollout;
    if (r?.state !== "running") continue;
    store.transaction(() => {
      for (const hostId of r.hostIds) {
        const h = store.getByPublicId<{ osUpgrade?: HostOsUpgrade }>("host", hostId);
        const state = h?.data.osUpgrade?.state;
        if (h && state !== "done" && state !== "failed" && h.data.osUpgrade?.rolloutId === r.id)
          patchHost(store, hostId, { state: state === "queued" ? "skipped" : "failed", reason });
      }
      store.update(p.id, {
        data: { osRollout: { ...r, state: "failed", current: null, endedAt: Date.now(), reason } },
      });
      writeAudit(store, {
        principal: null,
        clientIp: "",
        projectId: formatId("project", p.id),
        eventType: "os.upgrade.rollout",
        resourceType: "project",
        resourceId: formatId("project", p.id),
        requestObject: { rolloutId: r.id },
        responseCode: 500,
        description: reason,
      });
    });
  }
}
