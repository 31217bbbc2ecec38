import { z } from "zod";
import { ipsecReportSchema, lbStatusSchema } from "./host-reports.ts";
import {
  frameRejectedSchema,
  hostStateDeltaSchema,
  hostStatePartSchema,
  hostStateResyncSchema,
  hostStateSnapshotSchema,
} from "./host-state-frames.ts";
import { hostStatusSchema } from "./host-status.ts";
import { healthCheckSchema, volumeTemplateSchema } from "./stack.ts";

/**
 * The agent protocol: JSON text frames over one websocket per host. The server sends `event`s
 * addressed to that agent; the agent answers each with exactly one `reply` carrying the event's id,
 * sends a `ping` every few seconds, and relays what Docker tells it. Every frame is validated with
 * these schemas on arrival; a frame that fails closes the connection. The `data` of an event and of
 * its reply is checked against that event's schemas in `agentEvents` (agent-events.ts): failing
 * data gets an error reply, a failing reply rejects only its dispatch.
 */

/** Docker labels that tie a container to its server record, so a restarted agent finds it again. */
export const labelKeys = {
  containerId: "io.corral.container.id",
  projectId: "io.corral.project.id",
  hostId: "io.corral.host.id",
  /** JSON of the container's health check, so a restarted agent resumes checking it. */
  healthCheck: "io.corral.healthcheck",
  /**
   * The server installation that owns the container. Ids restart at 1 in every installation, so two
   * servers' agents on one Docker engine (a reinstall, tests) must not take each other's containers.
   */
  installId: "io.corral.install.id",
} as const;

/** A published port in the form the agent hands to Docker. */
export const portBindingSchema = z.strictObject({
  privatePort: z.number().int().min(1).max(65535),
  publicPort: z.number().int().min(0).max(65535).optional(),
  protocol: z.enum(["tcp", "udp"]),
  bindAddress: z.string().max(64).optional(),
});
/** A published port. */
export type PortBinding = z.infer<typeof portBindingSchema>;

/** Everything the agent needs to create one container. */
export const instanceSpecSchema = z.strictObject({
  containerId: z.string(),
  projectId: z.string(),
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  entryPoint: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  ports: z.array(portBindingSchema),
  volumes: z.array(z.string()),
  /** Driver of the named volumes Docker creates (`HostConfig.VolumeDriver`). */
  volumeDriver: z.string().optional(),
  /** Named volumes of `volumes` that Docker must make with this driver and options (see stack.ts). */
  volumeTemplates: z.record(z.string(), volumeTemplateSchema).optional(),
  restartPolicy: z.strictObject({ name: z.string(), maximumRetryCount: z.number().optional() }).optional(),
  networkMode: z.string(),
  workingDir: z.string().optional(),
  user: z.string().optional(),
  hostname: z.string().optional(),
  tty: z.boolean(),
  stdinOpen: z.boolean(),
  memory: z.number().optional(),
  cpuShares: z.number().optional(),
  pullPolicy: z.enum(["missing", "always", "never"]),
  /** Docker names or ids of containers whose volumes this one mounts (sidekicks, volumes_from). */
  volumesFrom: z.array(z.string()).optional(),
  /** Health check the agent runs against this container (see the `healthEvent` frame). */
  healthCheck: healthCheckSchema.optional(),
  expose: z.array(z.string()).optional(),
  domainName: z.string().optional(),
  privileged: z.boolean().optional(),
  capAdd: z.array(z.string()).optional(),
  capDrop: z.array(z.string()).optional(),
  devices: z.array(z.string()).optional(),
  dns: z.array(z.string()).optional(),
  dnsSearch: z.array(z.string()).optional(),
  extraHosts: z.array(z.string()).optional(),
  logConfig: z.strictObject({ driver: z.string(), config: z.record(z.string(), z.string()) }).optional(),
  stopSignal: z.string().optional(),
  stopTimeout: z.number().int().optional(),
  pidMode: z.string().optional(),
  ipcMode: z.string().optional(),
  uts: z.string().optional(),
  securityOpt: z.array(z.string()).optional(),
  ulimits: z.array(z.strictObject({ name: z.string(), soft: z.number(), hard: z.number() })).optional(),
  sysctls: z.record(z.string(), z.string()).optional(),
  tmpfs: z.record(z.string(), z.string()).optional(),
  shmSize: z.number().int().optional(),
  readOnly: z.boolean().optional(),
  /**
   * Managed network only: the address the server allocated from this host's slice. The agent
   * attaches the container to the Docker bridge network `managedNetwork.bridgeName` (the one the
   * hostState frame's `network` describes) with exactly this address.
   */
  ipAddress: z.string().max(64).optional(),
  /** Managed network only: the bridge network and the host's slice the address belongs to. */
  managedNetwork: z
    .strictObject({ bridgeName: z.string().max(64), subnet: z.string().max(64), gateway: z.string().max(64) })
    .optional(),
});
/** Everything the agent needs to create one container. */
export type InstanceSpec = z.infer<typeof instanceSpecSchema>;

/** What an agent observed of one container it manages. */
export const containerObservationSchema = z.strictObject({
  containerId: z.string().max(32),
  dockerId: z.string().max(128),
  name: z.string().max(256),
  state: z.enum(["created", "running", "paused", "restarting", "removing", "exited", "dead"]),
  exitCode: z.number().int().optional(),
  startedAt: z.string().max(64).optional(),
  ipAddress: z.string().max(64).optional(),
  ports: z.array(portBindingSchema).max(512).optional(),
});
/** What an agent observed of one container. */
export type ContainerObservation = z.infer<typeof containerObservationSchema>;

/** One slot's system, as CorralOS's slot records name it. */
const osSlot = z.enum(["A", "B"]);

/**
 * What a CorralOS host says of its system: the running build, the slot it booted, the other slot's
 * build, the upgrade on trial, and how the last upgrade or trial boot ended (`corral os boot-log`).
 * `bootId` changes at every boot, so the server can tell a host that came back from one still up.
 */
export const corralOsFactsSchema = z.strictObject({
  version: z.string().max(128),
  slot: osSlot.nullable(),
  bootId: z.string().max(64),
  installed: z.boolean(),
  otherSlot: z.strictObject({ slot: osSlot, version: z.string().max(128).nullable() }).nullable(),
  trial: z
    .strictObject({
      to: osSlot,
      version: z.string().max(128),
      status: z.enum(["pending", "trying", "failed"]),
      reason: z.string().max(2048).optional(),
    })
    .nullable(),
  lastBoot: z
    .strictObject({
      outcome: z.enum(["trial-boot", "healthy", "unhealthy", "rolled-back", "upgrade-refused"]),
      slot: osSlot,
      version: z.string().max(128).optional(),
      at: z.string().max(64),
      reason: z.string().max(2048).optional(),
    })
    .nullable(),
});
/** What a CorralOS host says of its system. */
export type CorralOsFacts = z.infer<typeof corralOsFactsSchema>;

/** Host facts sent at hello and, refreshed, in pings. */
export const hostFactsSchema = z.strictObject({
  hostname: z.string().max(253),
  kernel: z.string().max(256),
  os: z.string().max(256),
  arch: z.string().max(64),
  cpuCount: z.number().int().min(0),
  cpuModel: z.string().max(256),
  cpuLoad: z.number().min(0),
  memoryTotal: z.number().min(0),
  memoryUsed: z.number().min(0),
  disks: z
    .array(z.strictObject({ mount: z.string().max(1024), size: z.number(), used: z.number() }))
    .max(256),
  dockerVersion: z.string().max(128),
  ipAddresses: z.array(z.string().max(64)).max(256),
  /** The CorralOS system and its slots; null on other systems (absent from older agents). */
  corralOs: corralOsFactsSchema.nullable().optional(),
});
/** Host facts. */
export type HostFacts = z.infer<typeof hostFactsSchema>;

/** Ids of events and streams: the server makes UUIDs; a reply must be able to carry any it got. */
const idString = z.string().min(1).max(64);

/** Names of the events the server sends to agents. */
export const eventNames = [
  "instance.create",
  "instance.start",
  "instance.stop",
  "instance.restart",
  "instance.remove",
  "instance.inspect",
  "instance.stats",
  "instance.logs",
  "instance.exec",
  "host.resync",
  "host.osupgrade",
  "volume.create",
  "volume.remove",
] as const;
/** A name of an event the server sends to agents. */
export type EventName = (typeof eventNames)[number];

/**
 * Server to agent: work for this host. `agentId` qualifies every event with its addressee; `data` is
 * checked against the event's own schema by the agent (see `agentEvents`).
 */
export const serverEventSchema = z.strictObject({
  type: z.literal("event"),
  id: idString,
  agentId: z.string(),
  name: z.enum(eventNames),
  data: z.record(z.string(), z.unknown()),
});
/** Server to agent event. */
export type ServerEvent = z.infer<typeof serverEventSchema>;

/** Server to agent: greeting after authentication. */
export const welcomeSchema = z.strictObject({
  type: z.literal("welcome"),
  hostId: z.string(),
  agentId: z.string(),
  pingIntervalMs: z.number().int().positive(),
});

/** Largest terminal side, in cells, a resize may ask for (Docker takes up to 65535; no screen needs it). */
export const maxTerminalCells = 4096;

/** A terminal's size in character cells, both sides whole numbers from 1 to {@link maxTerminalCells}. */
export const terminalSizeSchema = z.strictObject({
  cols: z.number().int().min(1).max(maxTerminalCells),
  rows: z.number().int().min(1).max(maxTerminalCells),
});

/** A terminal's size in character cells. */
export type TerminalSize = z.infer<typeof terminalSizeSchema>;

/**
 * Server to agent: input for an open stream (exec stdin), the new size of its terminal (an exec
 * with `tty`), or a request to close it.
 */
export const streamInputSchema = z.strictObject({
  type: z.literal("streamInput"),
  streamId: z.string(),
  data: z.string().optional(),
  resize: terminalSizeSchema.optional(),
  close: z.boolean().optional(),
});

/** Any frame the server sends. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  serverEventSchema,
  welcomeSchema,
  streamInputSchema,
  hostStateSnapshotSchema,
  hostStatePartSchema,
  hostStateDeltaSchema,
]);
/** Any frame the server sends. */
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** Agent to server: the first frame, with facts and every managed container. */
export const helloSchema = z.strictObject({
  type: z.literal("hello"),
  agentVersion: z.string().max(64),
  facts: hostFactsSchema,
  containers: z.array(containerObservationSchema).max(10000),
  ipsec: ipsecReportSchema.optional(),
  loadBalancers: lbStatusSchema.optional(),
});

/** Agent to server: liveness with fresh facts and container states. */
export const pingSchema = z.strictObject({
  type: z.literal("ping"),
  seq: z.number().int().min(0),
  facts: hostFactsSchema.optional(),
  containers: z.array(containerObservationSchema).max(10000),
  ipsec: ipsecReportSchema.optional(),
  loadBalancers: lbStatusSchema.optional(),
  controllers: hostStatusSchema.optional(),
});

/** Agent to server: the answer to one event; the hub checks `data` against the event's reply schema. */
export const replySchema = z.strictObject({
  type: z.literal("reply"),
  eventId: idString,
  ok: z.boolean(),
  data: z.record(z.string(), z.unknown()).optional(),
  error: z.strictObject({ code: z.string().max(64), message: z.string().max(8192) }).optional(),
});

/** Agent to server: progress of a long event (image pull). */
export const progressSchema = z.strictObject({
  type: z.literal("progress"),
  eventId: idString,
  message: z.string().max(4096),
});

/** Agent to server: a Docker event about a managed container. */
export const containerEventSchema = z.strictObject({
  type: z.literal("containerEvent"),
  action: z.string().max(64),
  container: containerObservationSchema.optional(),
  containerId: z.string().max(32),
});

/** Agent to server: output of a stream (logs, exec), base64; `end` closes it. */
export const streamDataSchema = z.strictObject({
  type: z.literal("stream"),
  streamId: idString,
  data: z
    .string()
    .max(1024 * 1024)
    .optional(),
  end: z.boolean().optional(),
  exitCode: z.number().int().optional(),
  /** Set with `end` when the stream failed after it was opened. */
  error: z.string().max(4096).optional(),
});

/** Container health as agents report it. */
export const healthStates = ["initializing", "healthy", "unhealthy"] as const;

/**
 * Agent to server: the health of a container with a health check changed (or is re-reported after a
 * reconnect). `initializing` until the first pass or `initializingTimeout`; then `healthy` after
 * `healthyThreshold` passes in a row and `unhealthy` after `unhealthyThreshold` failures in a row.
 */
export const healthEventSchema = z.strictObject({
  type: z.literal("healthEvent"),
  containerId: z.string().max(32),
  healthState: z.enum(healthStates),
  reason: z.string().max(1024).optional(),
});

/** Any frame an agent sends. */
export const agentFrameSchema = z.discriminatedUnion("type", [
  helloSchema,
  pingSchema,
  replySchema,
  progressSchema,
  containerEventSchema,
  streamDataSchema,
  healthEventSchema,
  frameRejectedSchema,
  hostStateResyncSchema,
]);
/** Any frame an agent sends. */
export type AgentFrame = z.infer<typeof agentFrameSchema>;

/** The largest frame either side accepts, in bytes. */
export const maxFrameBytes = 4 * 1024 * 1024;

/** The answer to `POST /v2-beta/register`: the host's id and the agent's own key pair. */
export const registrationResponseSchema = z.object({
  type: z.literal("agentRegistration"),
  hostId: z.string(),
  agentId: z.string(),
  projectId: z.string(),
  accessKey: z.string(),
  secretKey: z.string(),
  /** The server installation's id; the agent manages only containers carrying it. */
  installId: z.string().optional(),
});
/** The answer to `POST /v2-beta/register`. */
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;

/** Paths of the agent-facing endpoints, relative to the server URL. */
export const agentPaths = {
  register: "/v2-beta/register",
  connect: "/v2-beta/agent/connect",
  script: "/v2-beta/scripts",
  /** The server's CA (PEM), public: a joining agent checks it against its checksum and pins it. */
  cacerts: "/cacerts",
} as const;
