import { z } from "zod";

/**
 * The normalized model of stacks and services, in Rancher 1.6's names. Compose files (v1, v2, v3 and
 * rancher-compose.yml) are parsed into it; the orchestrator reconciles it; exportconfig renders it back.
 */

/**
 * A launch config's reference to a secret of its environment (Rancher 1.6's `secretReference`):
 * `secretId` is the secret's id or its name (compose gives names; both are looked up when a
 * container is made), `name` the file under /run/secrets (the secret's name when absent), and uid,
 * gid and mode as strings, as Rancher had them.
 */
export const secretRefSchema = z.strictObject({
  secretId: z.string().min(1).max(128),
  name: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/, "must be a file name")
    .optional(),
  uid: z
    .string()
    .regex(/^[0-9]{1,10}$/, "must be a number")
    .optional(),
  gid: z
    .string()
    .regex(/^[0-9]{1,10}$/, "must be a number")
    .optional(),
  mode: z
    .string()
    .regex(/^0?[0-7]{3,4}$/, "must be an octal mode like 0444")
    .optional(),
});
/** A launch config's reference to a secret. */
export type SecretRef = z.infer<typeof secretRefSchema>;

/** A health check run by agents: TCP when `requestLine` is empty, else HTTP. Times in ms. */
export const healthCheckSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  requestLine: z.string().max(1024).optional(),
  interval: z.number().int().min(100).max(3_600_000).default(2000),
  responseTimeout: z.number().int().min(10).max(600_000).default(2000),
  healthyThreshold: z.number().int().min(1).max(100).default(2),
  unhealthyThreshold: z.number().int().min(1).max(100).default(3),
  initializingTimeout: z.number().int().min(0).max(3_600_000).default(60_000),
  reinitializingTimeout: z.number().int().min(0).max(3_600_000).optional(),
  strategy: z.enum(["recreate", "none", "recreateOnQuorum"]).default("recreate"),
  recreateOnQuorumStrategyConfig: z.strictObject({ quorum: z.number().int().min(1) }).optional(),
});
/** A health check. */
export type HealthCheck = z.infer<typeof healthCheckSchema>;

/**
 * How Docker makes a named volume a container mounts (Rancher's volumeTemplate): its driver and
 * driver options, and whether each container gets its own (`per_container`, named
 * `<volume>_<container>`), else the containers on a host share it.
 */
export const volumeTemplateSchema = z.strictObject({
  driver: z.string().min(1).max(128).default("local"),
  driverOpts: z.record(z.string().max(256), z.string().max(4096)).default({}),
  perContainer: z.boolean().default(false),
});
/** How Docker makes a named volume. */
export type VolumeTemplate = z.infer<typeof volumeTemplateSchema>;

/** Resource limits Docker sets with `--ulimit` (names as in `ulimit`/setrlimit, without RLIMIT_). */
export const ulimitNames = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
] as const;

/** One ulimit, as Rancher's `ulimit` type: -1 is unlimited. */
export const ulimitSchema = z
  .strictObject({
    name: z.enum(ulimitNames),
    soft: z
      .number()
      .int()
      .min(-1)
      .max(2 ** 53 - 1),
    hard: z
      .number()
      .int()
      .min(-1)
      .max(2 ** 53 - 1),
  })
  .refine((u) => u.hard === -1 || (u.soft !== -1 && u.soft <= u.hard), "soft must not exceed hard");
/** One ulimit. */
export type Ulimit = z.infer<typeof ulimitSchema>;

const sysctlNameRe = /^[a-z0-9_][a-z0-9_./-]*$/i;

/** How to run one container of a service (the primary, or a sidekick when `name` is set). */
export const launchConfigSchema = z.strictObject({
  /** Sidekick name (secondary launch configs only). */
  name: z.string().max(63).optional(),
  imageUuid: z.string().min(1).max(512),
  command: z.array(z.string()).max(256).optional(),
  entryPoint: z.array(z.string()).max(256).optional(),
  environment: z.record(z.string(), z.string()).default({}),
  labels: z.record(z.string(), z.string()).default({}),
  ports: z.array(z.string().max(64)).max(256).default([]),
  expose: z.array(z.string().max(64)).max(256).default([]),
  dataVolumes: z.array(z.string().max(1024)).max(256).default([]),
  /** Driver for named volumes Docker creates for this container (compose `volume_driver`). */
  volumeDriver: z.string().max(128).optional(),
  /** Named volumes of `dataVolumes` that need a driver, options or one per container, by name. */
  volumeTemplates: z.record(z.string().max(255), volumeTemplateSchema).optional(),
  /** Containers or services whose volumes this one mounts. */
  dataVolumesFrom: z.array(z.string().max(128)).max(64).default([]),
  /** Sidekicks (of the same unit) whose volumes this one mounts. */
  dataVolumesFromLaunchConfigs: z.array(z.string().max(63)).max(64).default([]),
  networkMode: z.string().max(160).default("managed"),
  /** Sidekick whose network namespace this one joins (`network_mode: container:<sidekick>`). */
  networkLaunchConfig: z.string().max(63).optional(),
  restartPolicy: z
    .strictObject({ name: z.string(), maximumRetryCount: z.number().int().optional() })
    .optional(),
  workingDir: z.string().max(1024).optional(),
  user: z.string().max(256).optional(),
  hostname: z.string().max(253).optional(),
  domainName: z.string().max(253).optional(),
  tty: z.boolean().default(false),
  stdinOpen: z.boolean().default(false),
  privileged: z.boolean().default(false),
  capAdd: z.array(z.string().max(64)).max(64).default([]),
  capDrop: z.array(z.string().max(64)).max(64).default([]),
  devices: z.array(z.string().max(512)).max(64).default([]),
  dns: z.array(z.string().max(64)).max(16).default([]),
  dnsSearch: z.array(z.string().max(253)).max(16).default([]),
  extraHosts: z.array(z.string().max(300)).max(256).default([]),
  memory: z.number().int().min(0).optional(),
  memoryReservation: z.number().int().min(0).optional(),
  milliCpuReservation: z.number().int().min(0).optional(),
  cpuShares: z.number().int().min(0).optional(),
  logConfig: z
    .strictObject({ driver: z.string(), config: z.record(z.string(), z.string()).default({}) })
    .optional(),
  healthCheck: healthCheckSchema.optional(),
  pullPolicy: z.enum(["missing", "always", "never"]).default("missing"),
  stopSignal: z.string().max(32).optional(),
  stopTimeout: z.number().int().min(0).max(3600).optional(),
  /** `host` shares the host's process namespace (compose `pid`); under the environment's policy. */
  pidMode: z.enum(["host"]).optional(),
  /** IPC namespace (compose `ipc`); `host` is under the environment's policy. */
  ipcMode: z.enum(["host", "private", "shareable", "none"]).optional(),
  /** `host` shares the host's hostname namespace (compose `uts`); under the environment's policy. */
  uts: z.enum(["host"]).optional(),
  /** Docker security options (compose `security_opt`); loosening ones are under the policy. */
  securityOpt: z.array(z.string().min(1).max(4096)).max(32).default([]),
  ulimits: z.array(ulimitSchema).max(16).default([]),
  /** Namespaced kernel parameters (compose `sysctls`). */
  sysctls: z
    .record(z.string().regex(sysctlNameRe, "must be a sysctl name").max(256), z.string().max(1024))
    .default({}),
  /** tmpfs mounts: container path -> mount options (compose `tmpfs`). */
  tmpfs: z
    .record(
      z
        .string()
        .regex(/^\/[^:\s]*$/, "must be an absolute container path")
        .max(1024),
      z.string().max(256),
    )
    .default({}),
  /** Size of /dev/shm in bytes (compose `shm_size`). */
  shmSize: z
    .number()
    .int()
    .min(0)
    .max(2 ** 50)
    .optional(),
  /** The root filesystem read-only (compose `read_only`). */
  readOnly: z.boolean().default(false),
  /** Secrets delivered as files under /run/secrets (compose `secrets:`, Rancher's `secrets`). */
  secrets: z.array(secretRefSchema).max(64).default([]),
});
/** How to run one container of a service. */
export type LaunchConfig = z.infer<typeof launchConfigSchema>;

/** In-service upgrade strategy (rancher-compose `upgrade_strategy`). */
export const upgradeStrategySchema = z.strictObject({
  batchSize: z.number().int().min(1).max(1000).default(1),
  intervalMillis: z.number().int().min(0).max(3_600_000).default(2000),
  startFirst: z.boolean().default(false),
});
/** In-service upgrade strategy. */
export type UpgradeStrategy = z.infer<typeof upgradeStrategySchema>;

/** A link from one service to another: `target` is `service` (same stack) or `stack/service`. */
export const serviceLinkSchema = z.strictObject({
  target: z.string().min(1).max(256),
  alias: z.string().max(253).optional(),
});
/** A link between services. */
export type ServiceLink = z.infer<typeof serviceLinkSchema>;

/** Service kinds, as Rancher had them. */
export const serviceKinds = ["service", "externalService", "dnsService", "loadBalancerService"] as const;

/** One service of a stack, normalized. */
export const serviceSpecSchema = z.strictObject({
  name: z.string().min(1).max(63),
  kind: z.enum(serviceKinds).default("service"),
  description: z.string().max(1024).optional(),
  scale: z.number().int().min(0).max(10_000).default(1),
  /** `io.rancher.scheduler.global=true`: one unit per eligible host, `scale` ignored. */
  global: z.boolean().default(false),
  launchConfig: launchConfigSchema.optional(),
  secondaryLaunchConfigs: z.array(launchConfigSchema).max(32).default([]),
  links: z.array(serviceLinkSchema).max(256).default([]),
  externalLinks: z.array(serviceLinkSchema).max(256).default([]),
  dependsOn: z.array(z.string().max(63)).max(256).default([]),
  retainIp: z.boolean().default(false),
  startOnCreate: z.boolean().default(true),
  scalePolicy: z
    .strictObject({
      min: z.number().int().min(0),
      max: z.number().int().min(0),
      increment: z.number().int().min(1).default(1),
    })
    .optional(),
  upgradeStrategy: upgradeStrategySchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Load balancer configuration (consumed by the load balancer controller). */
  lbConfig: z.record(z.string(), z.unknown()).optional(),
  /** External services: IP addresses, or a hostname (CNAME). */
  externalIpAddresses: z.array(z.string().max(64)).max(256).default([]),
  hostname: z.string().max(253).optional(),
  selectorLink: z.string().max(1024).optional(),
  selectorContainer: z.string().max(1024).optional(),
});
/** One service of a stack. */
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

/** A top-level named volume of a stack. */
export const stackVolumeSchema = z.strictObject({
  driver: z.string().max(128).default("local"),
  driverOpts: z.record(z.string(), z.string()).default({}),
  external: z.boolean().default(false),
  /** Rancher's `per_container`: each container gets a volume of its own. */
  perContainer: z.boolean().default(false),
});

/** A whole stack as parsed from compose files. */
export const stackSpecSchema = z.strictObject({
  services: z.array(serviceSpecSchema).max(500),
  volumes: z.record(z.string(), stackVolumeSchema).default({}),
});
/** A whole stack as parsed from compose files. */
export type StackSpec = z.infer<typeof stackSpecSchema>;

/**
 * Stack and service names as Cattle took them, through the API and compose alike: letters of
 * either case (kept as given), digits and single dashes, starting with a letter or digit. They
 * become DNS labels (`service.stack.rancher.internal`), and DNS matches them in any case: the DNS
 * server lower-cases both sides, and names that differ only in case are refused as clashes.
 */
export const cattleNameRe = /^[a-zA-Z0-9](?!.*--)[a-zA-Z0-9-]*$/;

/** A stack or service name (see {@link cattleNameRe}); at most 63 characters, as a DNS label. */
export const cattleNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(cattleNameRe, "must be letters, digits and single '-', starting with a letter or digit");

/** True when two stack or service names would give the same DNS name. */
export function sameDnsName(a: string | null | undefined, b: string | null | undefined): boolean {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

/**
 * A value of a stack's `environment` or `answers`: a string, or a number or boolean as a YAML or
 * JSON answers file gives them (`port: 8081`), kept as the string templates and `${VAR}` get
 * (`8081`, `0.5`, `true`), as Rancher formatted them. Questions then check that string.
 */
const answerValueSchema = z
  .union([z.string(), z.number(), z.boolean()], {
    error: "must be a string, a number or a boolean",
  })
  .transform((v) => String(v));

/** Input to create a stack. */
export const stackCreateSchema = z.strictObject({
  name: cattleNameSchema,
  description: z.string().max(1024).optional(),
  dockerCompose: z
    .string()
    .max(1024 * 1024)
    .optional(),
  rancherCompose: z
    .string()
    .max(1024 * 1024)
    .optional(),
  environment: z.record(z.string(), answerValueSchema).optional(),
  answers: z.record(z.string(), answerValueSchema).optional(),
  externalId: z.string().max(256).optional(),
  startOnCreate: z.boolean().optional(),
});
/** Input to create a stack. */
export type StackCreate = z.infer<typeof stackCreateSchema>;

/** Input to create a service through the API (compose files create them through stacks). */
export const serviceCreateSchema = serviceSpecSchema.extend({
  name: cattleNameSchema,
  stackId: z.string().min(1).max(32),
});

/** Input to edit a service: what may change without an upgrade. */
export const serviceUpdateSchema = z.strictObject({
  scale: z.number().int().min(0).max(10_000).optional(),
  description: z.string().max(1024).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  retainIp: z.boolean().optional(),
  scalePolicy: serviceSpecSchema.shape.scalePolicy,
  upgradeStrategy: upgradeStrategySchema.optional(),
  selectorLink: z.string().max(1024).optional(),
  selectorContainer: z.string().max(1024).optional(),
  externalIpAddresses: z.array(z.string().max(64)).max(256).optional(),
  hostname: z.string().max(253).optional(),
  lbConfig: z.record(z.string(), z.unknown()).optional(),
});

/** Input of the service `upgrade` action (Rancher's inServiceStrategy). */
export const serviceUpgradeSchema = z.strictObject({
  inServiceStrategy: z.strictObject({
    launchConfig: launchConfigSchema.optional(),
    secondaryLaunchConfigs: z.array(launchConfigSchema).max(32).optional(),
    batchSize: z.number().int().min(1).max(1000).default(1),
    intervalMillis: z.number().int().min(0).max(3_600_000).default(2000),
    startFirst: z.boolean().default(false),
  }),
});

/** Input of the service `restart` action. */
export const serviceRestartSchema = z.strictObject({
  rollingRestartStrategy: z
    .strictObject({
      batchSize: z.number().int().min(1).max(1000).default(1),
      intervalMillis: z.number().int().min(0).max(3_600_000).default(2000),
    })
    .default({ batchSize: 1, intervalMillis: 2000 }),
});

/** Input of the `setservicelinks` action. */
export const setServiceLinksSchema = z.strictObject({
  serviceLinks: z
    .array(z.strictObject({ serviceId: z.string().max(32), name: z.string().max(253).optional() }))
    .max(256)
    // Rancher's clients leave the list out when it is empty: no links.
    .default([]),
});

/** Input of the stack `upgrade` action: new compose files for the whole stack. */
export const stackUpgradeSchema = stackCreateSchema.pick({
  dockerCompose: true,
  rancherCompose: true,
  environment: true,
  answers: true,
  externalId: true,
});
