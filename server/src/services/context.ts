import { type EventData, type EventName, type EventReply, formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { Principal } from "../auth/principal.ts";
import { canAccessProject, roleIn } from "../auth/principal.ts";
import type { CatalogService } from "../catalog/catalogs.ts";
import type { HostStatsHistory } from "../hub/host-stats.ts";
import type { ProjectFields } from "../model/project.ts";
import type { BalancerViews } from "../network/balancer-views.ts";
import type { ResourceType, Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";

/** What a host-facing dispatcher offers the domain verbs (the hub implements it). */
export interface Dispatcher {
  /**
   * Sends an event to the agent of `hostId` and resolves with its reply data, validated against the
   * event's reply schema (a malformed reply rejects).
   */
  dispatch<N extends EventName>(
    hostId: string,
    name: N,
    data: EventData<N>,
    timeoutMs?: number,
  ): Promise<EventReply<N>>;
  /** True when the host's agent is connected now. */
  isConnected(hostId: string): boolean;
  /**
   * Which network view each load balancer serves, so a drain can wait for them to drop its
   * containers; absent where no agent reports (a drain then waits its fixed time only).
   */
  readonly balancers?: BalancerViews;
  /** Hosts' recent resource samples (the `stats` link of a host); absent where no agent reports. */
  readonly hostStats?: HostStatsHistory;
}

/** Server-wide settings the verbs need. */
export interface ServerSettings {
  /** The URL agents and clients use to reach this server. */
  publicUrl: string;
  /** The most units one service may have (CORRAL_MAX_SERVICE_SCALE; default in scale-limit.ts). */
  maxServiceScale?: number;
  /** How long login sessions last, in ms (CORRAL_SESSION_TTL_HOURS; default 16 h). */
  sessionTtlMs?: number;
}

/** Everything a domain verb receives: never Hono's context. */
export interface VerbContext {
  store: Store;
  principal: Principal;
  dispatcher: Dispatcher;
  settings: ServerSettings;
  /** Catalogs, for stacks launched or upgraded from a template (absent in unit tests of other verbs). */
  catalogs?: CatalogService;
}

/** Throws PermissionDenied unless the caller is an admin. */
export function requireAdmin(ctx: VerbContext): void {
  if (ctx.principal.kind !== "admin") throw new AppError("PermissionDenied", "this needs an admin account");
}

/**
 * Throws unless the caller is an admin or an owner of environment `id`: for switching it off,
 * removing it and rotating its IPsec key. Its own keys may not (a key that removes the environment
 * it lives in has nothing left to act on). Others who cannot see the
 * environment get NotFound from `loadProject` first.
 */
export function requireAdminOrOwner(ctx: VerbContext, id: string): void {
  if (ctx.principal.kind === "user") {
    loadProject(ctx, id);
    const role = roleIn(ctx.principal, id);
    if (role === "owner") return;
    throw new AppError("PermissionDenied", `your role in environment ${id} is ${role}; this needs an owner`);
  }
  requireAdmin(ctx);
}

/**
 * Loads a row the caller may see, or throws NotFound: rows of other projects are reported as
 * missing, never as forbidden, so ids of other environments leak nothing.
 */
export function loadVisible<T extends object>(ctx: VerbContext, type: ResourceType, id: string): Row<T> {
  const row = ctx.store.getByPublicId<T>(type, id);
  if (!row || !isVisible(ctx.principal, row)) throw new AppError("NotFound", `${type} ${id} not found`);
  return row;
}

/** True when the principal may see `row`. */
export function isVisible(p: Principal, row: Row): boolean {
  if (p.kind === "admin") return true;
  if (p.kind === "agent") return row.type === "host" && formatId("host", row.id) === p.hostId;
  if (row.type === "project") {
    return canAccessProject(p, formatId("project", row.id));
  }
  if (row.type === "account") return p.kind === "user" && p.accountId === formatId("account", row.id);
  if (row.projectId) return canAccessProject(p, row.projectId);
  if (row.type === "apiKey") return (row.data as { accountId?: string }).accountId === p.accountId;
  return false;
}

/** Loads a project the caller may act in, or throws NotFound. */
export function loadProject(ctx: VerbContext, projectId: string): Row<ProjectFields> {
  const project = loadVisible<ProjectFields>(ctx, "project", projectId);
  return project;
}
