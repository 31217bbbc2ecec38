import { z } from "zod";
import { containerObservationSchema, type EventName, instanceSpecSchema } from "./protocol.ts";
import { pullAuthSchema, secretFileSchema } from "./registries.ts";

/**
 * The events the server sends to agents, each with the schema of its `data` and of the `data` of
 * its successful reply. The envelope (`serverEventSchema`, `replySchema`) carries both as plain
 * records; each side validates them against this map by event name: the agent before it touches
 * Docker, the hub before the domain sees a reply.
 *
 * Data and reply objects are not strict: a newer server may send fields an older agent does not
 * know (and a newer agent reply with more than an older server reads); unknown fields are dropped.
 * Container observations stay strict, as they are in hello and ping frames.
 */

const streamId = z.string().min(1).max(64);

/** `instance.start|stop|restart|remove|inspect|stats`: which container, and a stop timeout. */
export const instanceRefDataSchema = z.object({
  containerId: z.string().min(1).max(32),
  // null when the server never learned the Docker id (create failed half-way); the label finds it then.
  dockerId: z.string().min(1).max(128).nullish(),
  timeoutSec: z.number().int().min(0).max(3600).optional(),
});

/** `instance.create`: the spec, and whether to start the container at once. */
export const instanceCreateDataSchema = z.object({
  spec: instanceSpecSchema,
  /** Credentials for the image's registry, only when one is configured for its host. */
  pullAuth: pullAuthSchema.optional(),
  /** Secret files to deliver under /run/secrets (values base64), only to this container's host. */
  secrets: z.array(secretFileSchema).max(64).optional(),
  start: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
});

/** `instance.logs`: a log stream request. */
export const instanceLogsDataSchema = instanceRefDataSchema.extend({
  streamId,
  follow: z.boolean().default(false),
  lines: z.number().int().min(0).max(1_000_000).optional(),
  timestamps: z.boolean().default(false),
  /** Unix seconds: only output after this time. */
  since: z.number().int().min(0).optional(),
});

/** `instance.exec`: a command to run in the container, with its stream. */
export const instanceExecDataSchema = instanceRefDataSchema.extend({
  streamId,
  command: z.array(z.string().max(8192)).min(1).max(256),
  tty: z.boolean().default(false),
  attachStdin: z.boolean().default(false),
});

/** `host.resync`: no input. */
export const hostResyncDataSchema = z.object({});

/** A CorralOS release version, as channels and slot records name them. */
export const osVersionSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "a version is letters, digits and . _ + -");

/**
 * `host.osupgrade`: write a release into the host's other slot and boot it once (`corral os
 * upgrade`): a version from a channel (the host's corral.upgrade.url unless given), or a release
 * file already on the host under /var/lib/corral or /home.
 */
export const hostOsUpgradeDataSchema = z
  .object({
    version: osVersionSchema.optional(),
    channel: z.string().min(1).max(2048).optional(),
    file: z.string().min(1).max(1024).optional(),
  })
  .refine((d) => (d.version === undefined) !== (d.file === undefined), {
    message: "give a version or a release file, not both and not neither",
  });

/** `host.osupgrade` answers once the slot is written, before the reboot: which version, which slot. */
export const hostOsUpgradeReplySchema = z.object({
  version: osVersionSchema,
  slot: z.enum(["A", "B"]),
  log: z.array(z.string().max(2048)).max(200),
});

/** `instance.remove` answers that the container is gone (also when it was never there). */
export const instanceRemoveReplySchema = z.object({ removed: z.literal(true) });

/** `instance.stats` answers with one sample of the container's resource usage. */
export const containerStatsSchema = z.object({
  /** CPU use in percent of one core times the number of cores (Docker CLI semantics). */
  cpuPercent: z.number().min(0),
  /** Memory in use, bytes (page cache excluded). */
  memoryUsage: z.number().min(0),
  /** Memory limit, bytes. */
  memoryLimit: z.number().min(0),
  /** Bytes received on all interfaces. */
  networkRxBytes: z.number().min(0),
  /** Bytes sent on all interfaces. */
  networkTxBytes: z.number().min(0),
  /** Bytes read from block devices. */
  blockReadBytes: z.number().min(0),
  /** Bytes written to block devices. */
  blockWriteBytes: z.number().min(0),
  /** Number of processes. */
  pids: z.number().int().min(0),
});
/** One sample of a container's resource usage. */
export type ContainerStats = z.infer<typeof containerStatsSchema>;

/** `instance.logs|exec` answer once the stream is open; its output follows as `stream` frames. */
export const streamOpenedReplySchema = z.object({ streamId });

/** `host.resync` answers with every container the agent manages. */
export const hostResyncReplySchema = z.object({
  containers: z.array(containerObservationSchema).max(10000),
});

/** A Docker volume name, as Docker accepts them. */
const volumeName = z
  .string()
  .min(2)
  .max(255)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);

/** `volume.create`: a named Docker volume with its driver and options. */
export const volumeCreateDataSchema = z.object({
  name: volumeName,
  driver: z.string().min(1).max(128).default("local"),
  driverOpts: z.record(z.string().max(256), z.string().max(4096)).default({}),
});

/** `volume.remove`: a named Docker volume; an absent one is a success. */
export const volumeRemoveDataSchema = z.object({ name: volumeName });

/** `volume.create|remove` answers what the engine now holds. */
export const volumeReplySchema = z.object({ name: volumeName, present: z.boolean() });

/** What the map holds for one event. */
interface EventSchemas {
  data: z.ZodType<object>;
  reply: z.ZodType<object>;
}

/** The agent protocol's one map: event name -> schema of its data and of its reply's data. */
export const agentEvents = {
  "instance.create": { data: instanceCreateDataSchema, reply: containerObservationSchema },
  "instance.start": { data: instanceRefDataSchema, reply: containerObservationSchema },
  "instance.stop": { data: instanceRefDataSchema, reply: containerObservationSchema },
  "instance.restart": { data: instanceRefDataSchema, reply: containerObservationSchema },
  "instance.remove": { data: instanceRefDataSchema, reply: instanceRemoveReplySchema },
  "instance.inspect": { data: instanceRefDataSchema, reply: containerObservationSchema },
  "instance.stats": { data: instanceRefDataSchema, reply: containerStatsSchema },
  "instance.logs": { data: instanceLogsDataSchema, reply: streamOpenedReplySchema },
  "instance.exec": { data: instanceExecDataSchema, reply: streamOpenedReplySchema },
  "host.resync": { data: hostResyncDataSchema, reply: hostResyncReplySchema },
  "host.osupgrade": { data: hostOsUpgradeDataSchema, reply: hostOsUpgradeReplySchema },
  "volume.create": { data: volumeCreateDataSchema, reply: volumeReplySchema },
  "volume.remove": { data: volumeRemoveDataSchema, reply: volumeReplySchema },
} as const satisfies Record<EventName, EventSchemas>;

type Events = typeof agentEvents;

/** The data of event `N` as the server sends it (defaults not yet applied). */
export type EventData<N extends EventName> = z.input<Events[N]["data"]>;
/** The data of event `N` as the agent handles it, after validation. */
export type ParsedEventData<N extends EventName> = z.output<Events[N]["data"]>;
/** The reply data of event `N` as the agent sends it. */
export type EventReplyInput<N extends EventName> = z.input<Events[N]["reply"]>;
/** The reply data of event `N` as the server reads it, after validation. */
export type EventReply<N extends EventName> = z.output<Events[N]["reply"]>;

// The same map, typed so that indexing it with a generic name keeps that name's own types.
const typedEvents: {
  [N in EventName]: {
    data: z.ZodType<ParsedEventData<N>, EventData<N>>;
    reply: z.ZodType<EventReply<N>, EventReplyInput<N>>;
  };
} = agentEvents;

/** Validates the data of a received event against its name's schema. */
export function parseEventData<N extends EventName>(
  name: N,
  data: unknown,
): z.ZodSafeParseResult<ParsedEventData<N>> {
  return typedEvents[name].data.safeParse(data);
}

/** Validates the data of a successful reply against the schema of the event it answers. */
export function parseEventReply<N extends EventName>(
  name: N,
  data: unknown,
): z.ZodSafeParseResult<EventReply<N>> {
  return typedEvents[name].reply.safeParse(data);
}

/** The first problem of a failed validation, naming the field: `spec.name: Invalid input: ...`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid input";
  return issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}
