import { formatId } from "@corral/api";
import type { HostFields } from "../model/host.ts";
import type { Store } from "../store/store.ts";
import type { ComputedCollection } from "./computed-collection.ts";
import type { SchemaDef } from "./definition.ts";
import { commonFields } from "./resources/common.ts";

/** The `label` schema: one key=value pair carried by hosts of an environment. */
export const labelSchema: SchemaDef = {
  type: "label",
  collection: "labels",
  scoped: true,
  // Only the filters the list applies are advertised (see hostLabelCollection.filterable).
  fields: {
    ...commonFields,
    name: { type: "string", nullable: true },
    state: { type: "string" },
    created: { type: "date" },
    removed: { type: "date", nullable: true },
    accountId: { type: "reference[project]", filter: true },
    key: { type: "string", filter: true },
    value: { type: "string", filter: true },
    labelType: { type: "enum", options: ["host"], filter: true },
    hostIds: { type: "array[reference[host]]", description: "the hosts carrying this label" },
  },
  actions: {},
};

/**
 * The labels of an environment's hosts as Rancher's `label` rows, so scripts that looked a host up
 * by label (`labels?key=zone&value=a`, then its hosts) keep working. Labels are set on the host
 * (`labels` on update, or the agent's `CATTLE_HOST_LABELS`); these rows only read them.
 */
export function hostLabels(store: Store, projectId: string): Record<string, unknown>[] {
  const byPair = new Map<string, { key: string; value: string; hostIds: string[]; created: number }>();
  for (const host of store.all<HostFields>("host", { projectId })) {
    if (host.state === "removed" || host.state === "purged") continue;
    for (const [key, value] of Object.entries(host.data.labels ?? {})) {
      const pair = `${key}=${value}`;
      const entry = byPair.get(pair) ?? { key, value, hostIds: [], created: host.created };
      entry.hostIds.push(formatId("host", host.id));
      entry.created = Math.min(entry.created, host.created);
      byPair.set(pair, entry);
    }
  }
  return [...byPair.values()].map((l) => ({
    // The pair itself, encoded, is the id: stable while any host carries it.
    id: encodeURIComponent(`${l.key}=${l.value}`),
    type: "label",
    baseType: "label",
    name: `${l.key}=${l.value}`,
    state: "active",
    transitioning: "no",
    transitioningMessage: null,
    created: new Date(l.created).toISOString(),
    removed: null,
    accountId: projectId,
    key: l.key,
    value: l.value,
    labelType: "host",
    hostIds: l.hostIds,
  }));
}

/** `/labels`, inside a project or for an environment key's own project. */
export const hostLabelCollection: ComputedCollection = {
  type: "label",
  collection: "labels",
  filterable: ["id", "key", "value", "labelType", "accountId"],
  rows: hostLabels,
};
