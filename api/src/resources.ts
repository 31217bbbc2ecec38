import { z } from "zod";
import { containerPolicyUpdateSchema } from "./policy.ts";
import { launchConfigSchema } from "./stack.ts";

/** Resource names: letters, digits, dots, dashes and underscores, as Docker and Rancher accept. */
export const nameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    "must start with a letter or digit and hold only letters, digits, '.', '-', '_'",
  );

/** Free text up to 1 KiB. */
export const descriptionSchema = z.string().max(1024);

/** Labels and environment maps: string keys and values, bounded in count and size. */
export const stringMapSchema = z
  .record(z.string().min(1).max(256), z.string().max(4096))
  .refine((m) => Object.keys(m).length <= 256, "at most 256 entries");

/** Input to create a project (environment). */
export const projectCreateSchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.optional(),
  servicesPortRange: z
    .strictObject({
      startPort: z.number().int().min(1).max(65535),
      endPort: z.number().int().min(1).max(65535),
    })
    .refine((r) => r.startPort <= r.endPort, "startPort must not exceed endPort")
    .optional(),
  /** What containers may take from their hosts (admins only; see api/src/policy.ts). */
  containerPolicy: containerPolicyUpdateSchema.optional(),
});
/** Input to update a project. */
export const projectUpdateSchema = projectCreateSchema.partial().strict();

/** A login name: letters, digits and `._@-`, starting with a letter or digit, at most 64. */
export const usernameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
    "1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
  );
/** A password a person sets: 8 to 256 characters. */
export const passwordSchema = z.string().min(8).max(256);

/** Account kinds: admins see everything, users see their projects, agents see their own host. */
export const accountKinds = ["admin", "user", "agent"] as const;

/** Input to create an account. */
export const accountCreateSchema = z.strictObject({
  name: nameSchema,
  kind: z.enum(["admin", "user"]).default("user"),
  description: descriptionSchema.optional(),
  /** Login name of a local account (unique, any case). */
  username: usernameSchema.optional(),
  /** Initial password (needs `username`); stored as an argon2id hash, never shown. */
  password: passwordSchema.optional(),
});
/** Input to update an account. */
export const accountUpdateSchema = z.strictObject({
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
  /** A new login name (admins only). */
  username: usernameSchema.optional(),
});
/** Input of an account's `changesecret` action (Rancher's name): a new password. */
export const changeSecretSchema = z.strictObject({
  /** The current password: required when changing your own. */
  oldSecret: z.string().max(1024).optional(),
  newSecret: passwordSchema,
});

/** Input to create an API key; the secret is generated and shown once. */
export const apiKeyCreateSchema = z.strictObject({
  name: z.string().max(128).optional(),
  description: descriptionSchema.optional(),
  /** The account the key is for (an admin may make keys for others); the caller's own by default. */
  accountId: z.string().max(64).nullish(),
});

/** Input to create a registration token (no fields: everything is generated). */
export const registrationTokenCreateSchema = z.strictObject({
  name: z.string().max(128).optional(),
  description: descriptionSchema.optional(),
});

/** Input to update a host: what an operator may change. */
export const hostUpdateSchema = z.strictObject({
  name: z.string().max(128).optional(),
  description: descriptionSchema.optional(),
  labels: stringMapSchema.optional(),
});

/** A published port: "8080:80", "80", "127.0.0.1:8080:80/udp", as Docker and Rancher write them. */
export const portSpecSchema = z
  .string()
  .max(64)
  .regex(
    /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}):)?(?:\d{1,5}:)?\d{1,5}(?:\/(?:tcp|udp))?$/,
    "must look like [ip:][public:]private[/tcp|udp]",
  );

/** A volume: "name:/path[:ro]", "/host:/path[:ro|rw]" or "/path". */
export const volumeSpecSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^(?:[^:\s]+:)?\/[^:\s]*(?::(?:ro|rw|z|Z))?$/, "must look like [source:]/path[:ro|rw]");

/** Restart policies Docker accepts. */
export const restartPolicySchema = z.strictObject({
  name: z.enum(["no", "always", "unless-stopped", "on-failure"]),
  maximumRetryCount: z.number().int().min(0).max(1000).optional(),
});

/** Network modes: `managed` is Corral's network (a plain bridge until the network issue's controller). */
export const networkModeSchema = z.union([
  z.enum(["managed", "bridge", "host", "none"]),
  z.string().regex(/^container:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, "must be container:<name or id>"),
]);

/** An image reference: `docker:` prefix optional, as Rancher's imageUuid carried it. */
export const imageSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^(?:docker:)?[a-z0-9][a-z0-9._\-/:@]*$/, "must be an image reference like docker:nginx:1.25");

/** A command: one string (split on spaces) or an argument list. */
export const commandSchema = z.union([z.string().max(8192), z.array(z.string().max(8192)).max(256)]);

/**
 * Input to create a container: every launch config field a standalone container can have (it is a
 * service unit of one), with the stricter checks a single container gets on some, plus its own
 * fields. Sidekick references (name, networkLaunchConfig, dataVolumesFromLaunchConfigs) only make
 * sense inside a service.
 */
export const containerCreateSchema = launchConfigSchema
  .omit({ name: true, networkLaunchConfig: true, dataVolumesFromLaunchConfigs: true })
  .partial()
  .extend({
    name: nameSchema.optional(),
    description: descriptionSchema.optional(),
    imageUuid: imageSchema.optional(),
    image: imageSchema.optional(),
    command: commandSchema.optional(),
    entryPoint: commandSchema.optional(),
    environment: stringMapSchema.optional(),
    labels: stringMapSchema.optional(),
    ports: z.array(portSpecSchema).max(256).optional(),
    dataVolumes: z.array(volumeSpecSchema).max(256).optional(),
    restartPolicy: restartPolicySchema.optional(),
    networkMode: networkModeSchema.optional(),
    requestedHostId: z.string().max(32).optional(),
    memory: z
      .number()
      .int()
      .min(0)
      .max(2 ** 50)
      .optional(),
    cpuShares: z.number().int().min(0).max(262144).optional(),
    startOnCreate: z.boolean().optional(),
  });
/** Input to update a container: only descriptive fields; the rest needs a new container. */
export const containerUpdateSchema = z.strictObject({
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

/** Input of the `execute` action. */
export const containerExecuteSchema = z.strictObject({
  command: z.array(z.string().max(8192)).min(1).max(256),
  attachStdin: z.boolean().optional(),
  attachStdout: z.boolean().optional(),
  tty: z.boolean().optional(),
});

/** Input of the `logs` action. */
export const containerLogsSchema = z.strictObject({
  follow: z.boolean().optional(),
  lines: z.number().int().min(0).max(100000).optional(),
  timestamps: z.boolean().optional(),
  /** Only output after this time: RFC 3339 or Unix seconds; "" for all (Rancher's CLI sends it). */
  since: z
    .string()
    .max(64)
    .refine(
      (v) =>
        v === "" || /^\d{1,12}$/.test(v) || (/^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))),
      {
        message: "must be RFC 3339 or Unix seconds",
      },
    )
    .optional(),
});

/** Input of `POST /v2-beta/register`: an agent joining with a registration token. */
export const registerSchema = z.strictObject({
  token: z.string().min(8).max(256),
  hostname: z.string().min(1).max(253),
  uuid: z
    .string()
    .min(8)
    .max(64)
    .regex(/^[a-zA-Z0-9-]+$/),
  labels: stringMapSchema.optional(),
});

/** Types inferred from the schemas above. */
export type ContainerCreate = z.infer<typeof containerCreateSchema>;
/** Input of a project create. */
export type ProjectCreate = z.infer<typeof projectCreateSchema>;
/** Input of the register call. */
export type RegisterInput = z.infer<typeof registerSchema>;

/** A PEM text (certificate, key or chain), at most 64 KiB. */
const pemSchema = z
  .string()
  .min(1)
  .max(64 * 1024);

/** A DNS name a load balancer answers for (no wildcard: HTTP-01 cannot prove one). */
const acmeDomainSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/,
    "must be a DNS name without wildcard (HTTP-01 validation)",
  );

/** An ACME directory: an http(s) URL. */
const acmeDirectorySchema = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      return ["https:", "http:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, "must be an http or https URL of an ACME directory");

/** Input to create a certificate: PEM texts, `generate` for a self-signed one, or `acme` to have one signed. */
export const certificateCreateSchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.optional(),
  cert: pemSchema.optional(),
  key: pemSchema.optional(),
  certChain: pemSchema.optional(),
  /** Makes a self-signed certificate (and its key) for this hostname instead of taking PEMs. */
  generate: z
    .strictObject({
      hostname: z
        .string()
        .min(1)
        .max(253)
        .regex(
          /^(\*\.)?[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/,
          "must be a DNS name",
        ),
      days: z.number().int().min(1).max(3650).optional(),
    })
    .optional(),
  /** Has an ACME CA (RFC 8555) sign a certificate for `domains`, proved by HTTP-01 on the load balancers. */
  acme: z.boolean().optional(),
  /** The names of an ACME certificate (the first is its CN). */
  domains: z.array(acmeDomainSchema).min(1).max(100).optional(),
  /** The ACME account's contact address. */
  email: z.email().max(254).optional(),
  /** The ACME CA's directory URL. */
  acmeDirectoryUrl: acmeDirectorySchema.optional(),
});
/** Input to create a certificate. */
export type CertificateCreate = z.infer<typeof certificateCreateSchema>;
/** Input to update a certificate: cert and key are replaced together (and checked again). */
export const certificateUpdateSchema = z.strictObject({
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
  cert: pemSchema.optional(),
  key: pemSchema.optional(),
  certChain: pemSchema.optional(),
});

/** Input to create a volume: a named Docker volume of an environment (Rancher's `volume`). */
export const volumeCreateSchema = z.strictObject({
  name: z
    .string()
    .min(2)
    .max(255)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, "must be a Docker volume name: letters, digits, _ . -"),
  description: descriptionSchema.optional(),
  driver: z
    .string()
    .max(128)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_./:-]*$/, "must be a volume driver name")
    .default("local"),
  driverOpts: z.record(z.string().max(256), z.string().max(4096)).default({}),
});
/** Input to create a volume, before defaults. */
export type VolumeCreate = z.input<typeof volumeCreateSchema>;
