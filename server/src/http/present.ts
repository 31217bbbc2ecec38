import { formatId, type IdType } from "@corral/api";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { ResourceDef } from "./definition.ts";

/** `yes` while a row is in a transitional state, `error` in error, else `no` (Rancher's convention). */
export function transitioningOf(state: string): "yes" | "no" | "error" {
  if (state === "error") return "error";
  return transitionalStates.has(state) ? "yes" : "no";
}

/** States that are on their way to another (`running` is not one, though it ends in "ing"). */
const transitionalStates = new Set([
  "requested",
  "registering",
  "creating",
  "starting",
  "stopping",
  "restarting",
  "removing",
  "purging",
  "activating",
  "deactivating",
  "updating",
  "upgrading",
  "finishing-upgrade",
  "rolling-back",
  "pending",
  "issuing",
]);

/** The URL of a row: inside its project for scoped types. */
export function selfUrl(def: ResourceDef, row: Row, base: string): string {
  const id = formatId(row.type as IdType, row.id);
  return def.scoped && row.projectId
    ? `${base}/v2-beta/projects/${row.projectId}/${def.collection}/${id}`
    : `${base}/v2-beta/${def.collection}/${id}`;
}

/**
 * Renders a row as an API resource: common fields, the type's own fields, links and actions. With
 * `may`, only the actions the caller may call are listed (a person's role; see `actionsFilter`).
 */
export function present(
  def: ResourceDef,
  row: Row,
  base: string,
  store?: Store,
  may?: (action: string) => boolean,
): Record<string, unknown> {
  const self = selfUrl(def, row, base);
  const actions: Record<string, string> = {};
  for (const [name, action] of Object.entries(def.actions)) {
    if (action.available(row) && (!may || may(name))) actions[name] = `${self}?action=${name}`;
  }
  const message = (row.data as { transitioningMessage?: string }).transitioningMessage ?? "";
  return {
    id: formatId(row.type as IdType, row.id),
    type: row.type,
    baseType: row.type,
    name: row.name,
    state: row.state,
    transitioning: transitioningOf(row.state),
    transitioningMessage: message || null,
    created: new Date(row.created).toISOString(),
    createdTS: row.created,
    removed: row.removed ? new Date(row.removed).toISOString() : null,
    ...(def.scoped ? { accountId: row.projectId } : {}),
    ...def.present(row, base),
    ...(store && def.related ? def.related(store, row) : {}),
    links: { self, ...(def.links?.(row, self) ?? {}) },
    actions,
  };
}
