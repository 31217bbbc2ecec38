import { z } from "zod";
import {
  acmeChallengeSchema,
  hostIpsecSchema,
  managedNetworkSchema,
  stateCertificateSchema,
  stateHostSchema,
  stateServiceSchema,
} from "./host-state.ts";

/**
 * How the network view travels (see host-state.ts for the view itself). On every (re)connect, and
 * whenever the agent asks, the server sends a snapshot: one `hostState` frame, followed by
 * `parts - 1` `hostState.part` frames when its containers do not fit one frame. After that it sends
 * `hostState.delta` frames with only what changed. Every frame of a session carries `seq`: a
 * snapshot starts a new number, each delta is the next one. The agent applies a delta only when it
 * follows what it holds; otherwise it reports the frame (`frameRejected`) and asks for a snapshot
 * (`hostState.resync`).
 *
 * Each host gets what it needs: its own containers whole, other hosts' containers summarised (name,
 * address, state, health, service, ports; no labels, links nor dns, which only the container's own
 * host uses), and the certificates of its own load balancers only.
 */

const id = z.string().min(1).max(64);
const short = z.string().max(1024);

/**
 * One container on the wire. Empty values may be left out; `stackName` and `serviceName` left out
 * mean "those of its service" (filled in by the agent from the services it holds), and
 * `launchConfigName` left out means the primary ("") of a container with a service.
 */
export const wireContainerSchema = z.strictObject({
  id,
  name: z.string().max(256),
  hostId: z.string().max(64),
  ip: z.string().max(64).nullable().default(null),
  state: z.string().max(64),
  healthState: z.enum(["initializing", "healthy", "unhealthy"]).nullable().default(null),
  stackName: z.string().max(256).nullable().optional(),
  serviceName: z.string().max(256).nullable().optional(),
  serviceId: z.string().max(64).nullable().default(null),
  launchConfigName: z.string().max(256).nullable().default(null),
  createIndex: z.number().int().nullable().default(null),
  labels: z.record(z.string().max(1024), z.string().max(64 * 1024)).default(() => ({})),
  ports: z
    .array(short)
    .max(1024)
    .default(() => []),
  links: z.record(short, short).default(() => ({})),
  dns: z
    .array(short)
    .max(64)
    .default(() => []),
  dnsSearch: z
    .array(short)
    .max(64)
    .default(() => []),
});
/** One container as it travels. */
export type WireContainer = z.infer<typeof wireContainerSchema>;

/** What a service container's rebuilt labels come from (its own fields in the view). */
export interface LabelSource {
  name: string;
  stackName: string | null;
  serviceName: string | null;
  launchConfigName: string | null;
}

/**
 * The labels the orchestrator gives every service container that repeat its other fields (stack,
 * service, launch config and container names). Another host's container travels without them and
 * the agent puts them back, so metadata still answers every label of every container.
 */
export function derivedServiceLabels(c: LabelSource): Record<string, string> {
  if (c.stackName === null || c.serviceName === null) return {};
  return {
    "io.rancher.stack.name": c.stackName,
    "io.rancher.stack_service.name": `${c.stackName}/${c.serviceName}`,
    "io.rancher.service.launch.config": c.launchConfigName || "io.rancher.service.primary.launch.config",
    "io.rancher.container.name": c.name,
  };
}

/** Most containers one frame carries; a view has at most {@link maxSnapshotParts} frames of them. */
const maxContainersPerFrame = 50_000;
/** Most frames one snapshot is split into. */
export const maxSnapshotParts = 256;

const portRangeSchema = z.strictObject({ start: z.number().int(), end: z.number().int() });

/** Server to agent: a whole view (first frame of a snapshot). */
export const hostStateSnapshotSchema = z.strictObject({
  type: z.literal("hostState"),
  /** The session's sequence number of this view; a delta that follows carries `seq + 1`. */
  seq: z.number().int().min(0),
  /** The environment's view version (grows across server restarts; shown as metadata `version`). */
  version: z.number().int().min(0),
  hostId: id,
  environmentId: id,
  /** How many frames this snapshot takes: this one and `parts - 1` `hostState.part` frames. */
  parts: z.number().int().min(1).max(maxSnapshotParts).default(1),
  network: managedNetworkSchema.nullable(),
  portRange: portRangeSchema,
  containers: z.array(wireContainerSchema).max(maxContainersPerFrame),
  services: z.array(stateServiceSchema),
  hosts: z.array(stateHostSchema),
  certificates: z.array(stateCertificateSchema),
  acmeChallenges: z.array(acmeChallengeSchema).optional(),
  upstreamDns: z.array(z.string()),
  ipsec: hostIpsecSchema.nullable().optional(),
});
/** Server to agent: a whole view, or its first frame. */
export type HostStateSnapshot = z.infer<typeof hostStateSnapshotSchema>;

/** Server to agent: more containers of the snapshot with the same `seq` (part `index` of `parts`). */
export const hostStatePartSchema = z.strictObject({
  type: z.literal("hostState.part"),
  seq: z.number().int().min(0),
  index: z
    .number()
    .int()
    .min(1)
    .max(maxSnapshotParts - 1),
  containers: z.array(wireContainerSchema).max(maxContainersPerFrame),
});
/** Server to agent: more containers of a snapshot. */
export type HostStatePart = z.infer<typeof hostStatePartSchema>;

/** Records to add or replace (by id) and ids to drop. */
function changes<T extends z.ZodType>(item: T) {
  return z.strictObject({
    upsert: z
      .array(item)
      .max(maxContainersPerFrame)
      .default(() => []),
    remove: z
      .array(id)
      .max(maxContainersPerFrame)
      .default(() => []),
  });
}

/**
 * Server to agent: what changed since the frame with `seq - 1`. Collections list their upserts and
 * removals; a field present is the new whole value (certificates and IPsec peers are small).
 */
export const hostStateDeltaSchema = z.strictObject({
  type: z.literal("hostState.delta"),
  seq: z.number().int().min(1),
  version: z.number().int().min(0),
  containers: changes(wireContainerSchema).optional(),
  services: changes(stateServiceSchema).optional(),
  hosts: changes(stateHostSchema).optional(),
  network: managedNetworkSchema.nullable().optional(),
  portRange: portRangeSchema.optional(),
  certificates: z.array(stateCertificateSchema).optional(),
  acmeChallenges: z.array(acmeChallengeSchema).optional(),
  upstreamDns: z.array(z.string()).optional(),
  ipsec: hostIpsecSchema.nullable().optional(),
});
/** Server to agent: what changed in the view. */
export type HostStateDelta = z.infer<typeof hostStateDeltaSchema>;

/** Any frame of the network view. */
export type HostStateFrame = HostStateSnapshot | HostStatePart | HostStateDelta;

/** A container as a sender may write it (empty values left out). */
export type WireContainerInput = z.input<typeof wireContainerSchema>;

/** Any frame of the network view as a sender may write it (empty values left out). */
export type HostStateFrameInput =
  | z.input<typeof hostStateSnapshotSchema>
  | z.input<typeof hostStatePartSchema>
  | z.input<typeof hostStateDeltaSchema>;

/** Why an agent could not take a frame. */
export const frameRejectReasons = [
  "tooLarge",
  "notJson",
  "invalid",
  "binary",
  "outOfSequence",
  "incomplete",
] as const;
/** Why an agent could not take a frame. */
export type FrameRejectReason = (typeof frameRejectReasons)[number];

/**
 * Agent to server: a frame the agent could not take. The server counts these (`/metrics`) and shows
 * the last one on the host (`hostStateSync`); the agent asks for a snapshot after it.
 */
export const frameRejectedSchema = z.strictObject({
  type: z.literal("frameRejected"),
  reason: z.enum(frameRejectReasons),
  /** The frame's `type` when it could be read. */
  frameType: z.string().max(64).nullable(),
  bytes: z.number().int().min(0),
  detail: z.string().max(1024),
});
/** Agent to server: a frame the agent could not take. */
export type FrameRejected = z.infer<typeof frameRejectedSchema>;

/** Agent to server: send a whole view again (it holds nothing it can apply deltas to). */
export const hostStateResyncSchema = z.strictObject({
  type: z.literal("hostState.resync"),
  /** The seq of the last view the agent applied, null when it holds none from this session. */
  seq: z.number().int().min(0).nullable(),
});
