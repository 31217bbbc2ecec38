import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { HostFields } from "../../model/host.ts";
import type { HostIpsecFields } from "../../network/ipsec-health.ts";
import type { ViewRejectionFields } from "../../network/view-rejections.ts";
import { loadVisible, type VerbContext } from "../../services/context.ts";
import { evacuateHost, removeHost, setHostActive, updateHost } from "../../services/hosts.ts";
import { type HostOsUpgrade, startHostOsUpgrade } from "../../services/os-rollout.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/** `host`: a machine whose agent joined the project. */
export const hostResource: ResourceDef = {
  type: "host",
  collection: "hosts",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", update: true, nullable: true, filter: true },
    description: { type: "string", update: true, nullable: true },
    hostname: { type: "string", filter: true },
    labels: { type: "map[string]", update: true },
    agentState: {
      type: "enum",
      options: ["registering", "active", "reconnecting", "disconnected"],
      filter: true,
    },
    agentIpAddress: { type: "string", filter: true },
    info: { type: "json" },
    uuid: { type: "string", filter: true },
    ipsecPeers: { type: "array[json]", description: "IPsec tunnel to each peer host: state, reason, bytes" },
    ipsecDataPlane: { type: "enum", options: ["kernel", "userspace", "none"], nullable: true },
    instanceIds: {
      type: "array[reference[instance]]",
      description: "the containers placed on the host (what `rancher hosts ls` counts)",
    },
    osUpgrade: {
      type: "json",
      nullable: true,
      description:
        "the host's part in the last OS upgrade: state (queued, upgrading, rebooting, done, failed, skipped), target, reason",
    },
    hostStateSync: {
      type: "json",
      nullable: true,
      description:
        "network view frames the agent could not take: count and the last one (reason, type, bytes)",
    },
  },
  update: updateHost,
  remove: removeHost,
  actions: {
    activate: { available: (r) => r.state === "inactive", run: (ctx, id) => setHostActive(ctx, id, true) },
    deactivate: { available: (r) => r.state === "active", run: (ctx, id) => setHostActive(ctx, id, false) },
    evacuate: {
      available: (r) => r.state === "active" || r.state === "inactive",
      run: (ctx, id) => evacuateHost(ctx, id),
      accepted: true,
    },
    // Writes the other CorralOS slot and reboots into it; the host comes back healthy or rolled back.
    osupgrade: {
      available: (r) => r.state === "active" || r.state === "inactive",
      run: (ctx, id, body) => startHostOsUpgrade(ctx, id, body),
      accepted: true,
    },
  },
  present: (row) => {
    const d = row.data as unknown as HostFields &
      HostIpsecFields &
      ViewRejectionFields & { osUpgrade?: HostOsUpgrade };
    return {
      hostname: d.hostname,
      description: d.description ?? null,
      labels: d.labels,
      agentState: d.agentState,
      agentIpAddress: d.agentIpAddress,
      uuid: d.uuid,
      // Rancher's clients read the system from info.osInfo; the agent's own names stay beside it.
      info: d.info && {
        ...d.info,
        osInfo: {
          operatingSystem: d.info.os,
          kernelVersion: d.info.kernel,
          dockerVersion: d.info.dockerVersion,
        },
      },
      osUpgrade: d.osUpgrade ?? null,
      // As the host last reported them (states at once, byte counters at most 30 s old).
      ipsecPeers: d.ipsec?.peers ?? [],
      ipsecDataPlane: d.ipsec?.dataPlane ?? null,
      hostStateSync: d.hostStateSync ?? null,
    };
  },
  related: (store, row) => ({
    instanceIds: store
      .all("container", { projectId: row.projectId!, dataField: ["hostId", formatId("host", row.id)] })
      .filter((c) => c.state !== "removed" && c.state !== "purged")
      .map((c) => formatId("container", c.id)),
  }),
  links: (_row, self) => ({
    stats: `${self}/stats`,
    containers: `${self.replace(/\/hosts\/[^/]+$/, "/containers")}?hostId=${self.split("/").at(-1)}`,
    // hostIds is a JSON array: `like` on the quoted id matches that id exactly.
    volumes: `${self.replace(/\/hosts\/[^/]+$/, "/volumes")}?hostIds_like=%22${self.split("/").at(-1)}%22`,
  }),
  subresources: { stats: async (ctx, id, query) => hostStats(ctx, id, query) },
};

/** Longest `since` accepted: milliseconds since the epoch fit in 16 digits for millennia. */
const sinceDigits = 16;

/**
 * A host's `stats`: its recent CPU, memory and disk samples, oldest first, as the server received
 * them from its agent (about one every ping, the last hour at most). `since` (ms since the epoch)
 * answers only later samples, so a page that polls gets the new ones alone.
 */
function hostStats(ctx: VerbContext, id: string, query: URLSearchParams) {
  const row = loadVisible<HostFields>(ctx, "host", id);
  const given = query.getAll("since");
  if (given.length > 1)
    throw new AppError("InvalidFormat", "since: give it once", { detail: { field: "since" } });
  const text = given[0];
  if (text !== undefined && !new RegExp(`^[0-9]{1,${sinceDigits}}$`).test(text))
    throw new AppError(
      "InvalidFormat",
      "since: must be a time in milliseconds since the epoch (digits only)",
      {
        detail: { field: "since" },
      },
    );
  const history = ctx.dispatcher.hostStats;
  const hostId = formatId("host", row.id);
  const { disk, samples } = history?.samples(hostId, text === undefined ? undefined : Number(text)) ?? {
    disk: null,
    samples: [],
  };
  return {
    type: "hostStats",
    id: hostId,
    // How many samples the server keeps: older ones are gone.
    capacity: history?.capacity ?? 0,
    cpuCount: row.data.info?.cpuCount ?? null,
    disk,
    samples,
  };
}
