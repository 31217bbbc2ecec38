import { z } from "zod";
import { healthSchema } from "./health-schema.ts";

/**
 * The format of a CorralOS system service: `/usr/share/corral/system-services/<name>/service.yml`.
 *
 * Compose-like on purpose (RancherOS system services were compose files), but one service per file:
 * the folder name is the service name. Unknown keys are errors (reported with file:line:column), so a
 * typo never silently drops a setting. Every system service runs in System Docker
 * (`/var/run/system-docker.sock`), never in User Docker.
 *
 * Strings in `environment`, `command` and `entrypoint` may name config values: `${corral.agent.url}`
 * is replaced by that value of the merged config (empty when unset; `$${` writes a literal `${`).
 *
 * Defaults that differ from docker-compose, and why:
 * - `net` defaults to `host`: System Docker runs with `--bridge none`, and system services (network,
 *   console, user-docker) manage the host itself.
 * - `restart` defaults to `always` for long-running services and `no` for `oneshot`/`create_only`.
 *
 * @example
 * ```yaml
 * image: corral/os-base:latest
 * command: ["udhcpc", "-f", "-i", "eth0"]
 * net: host
 * privileged: true
 * restart: always
 * after: [udev]
 * health:
 *   socket: /var/run/docker.sock
 *   http: /_ping
 * environment:
 *   AGENT_URL: ${corral.agent.url}
 * enabled: corral.agent.enabled
 * ```
 */

/** A command or entrypoint: a string is split by the shell rules of Docker (`sh -c` is not added). */
const commandSchema = z.union([z.string().min(1), z.array(z.string()).min(1)]);

/** A map of names to scalar values, or a `KEY=value` list, as compose allows both. */
const stringMapSchema = z.union([
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  z.array(z.string().regex(/^[^=]+(=.*)?$/, "expected KEY=value")),
]);

/** A service name: the folder name, used in `after` and as the container name `corral-<name>`. */
export const serviceNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, "a service name is lower-case letters, digits, '.', '_' or '-'");

/** A dotted config path that enables a service when its value is truthy, like `corral.server.enabled`. */
const configPathSchema = z
  .string()
  .regex(/^(corral|rancher)(\.[A-Za-z0-9_-]+)+$/, "expected a config path like corral.server.enabled");

/** The zod schema of one `service.yml`. */
export const serviceSchema = z
  .object({
    /** What the service is for, shown by `corral service list`. */
    description: z.string().optional(),
    /** The image, already in System Docker (loaded from /usr/share/corral/images/*.tar): never pulled. */
    image: z.string().min(1),
    command: commandSchema.optional(),
    entrypoint: commandSchema.optional(),
    environment: stringMapSchema.optional(),
    labels: stringMapSchema.optional(),
    /** Bind mounts `host:container[:ro|rw|shared|rshared|slave|z]`; `binds` is an alias. */
    volumes: z.array(z.string().min(1)).optional(),
    binds: z.array(z.string().min(1)).optional(),
    /** Other services whose volumes this one mounts (the RancherOS `*-volumes` pattern). */
    volumes_from: z.array(serviceNameSchema).optional(),
    /** Network mode; `bridge` needs System Docker's own bridge, off by default. */
    net: z.enum(["host", "none", "bridge"]).default("host"),
    pid: z.literal("host").optional(),
    ipc: z.literal("host").optional(),
    uts: z.literal("host").optional(),
    /** Privileged; where the engine cannot grant it, the nearest equivalent from CapBnd is used. */
    privileged: z.boolean().default(false),
    cap_add: z.array(z.string()).optional(),
    cap_drop: z.array(z.string()).optional(),
    security_opt: z.array(z.string()).optional(),
    /** Devices `host[:container[:rwm]]`. */
    devices: z.array(z.string()).optional(),
    user: z.string().optional(),
    working_dir: z.string().optional(),
    read_only: z.boolean().optional(),
    tmpfs: z.array(z.string()).optional(),
    /**
     * What happens when the service exits, applied by PID 1's supervisor (not Docker's) with backoff
     * and a crash-loop guard. A start that fails (no image yet, an engine error) is retried whatever
     * the policy: the service never ran, so it has not exited.
     */
    restart: z.enum(["no", "always", "on-failure"]).optional(),
    /**
     * Services that must be ready before this one starts: running, healthy when they declare
     * `health:`, completed for one-shots, created for `create_only`.
     */
    after: z.array(serviceNameSchema).default([]),
    /** How PID 1 tells the service is ready (see health-schema.ts). */
    health: healthSchema.optional(),
    /** Run to completion before dependents start; a non-zero exit blocks its dependents. */
    oneshot: z.boolean().default(false),
    /** Create the container but never start it (volume containers). */
    create_only: z.boolean().default(false),
    /** `true`/`false`, or a config path whose truthy value enables it; `services_include` overrides. */
    enabled: z.union([z.boolean(), configPathSchema]).default(true),
    /**
     * This service is the console of that name (`default`, `debian`): it runs when `corral.console`
     * chooses it (`default` when unset), whatever `services_include` says; the others are off.
     */
    console: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, "a console name is lower-case letters, digits, '.', '_' or '-'")
      .optional(),
    /**
     * Keep the container when the service is turned off: it is stopped, not removed, so its root
     * filesystem (packages a user installed in a persistent console) is there when it runs again.
     * Only a change of its definition (image, binds, environment) recreates it.
     */
    persistent: z.boolean().default(false),
    /** Seconds between SIGTERM and SIGKILL when stopping. */
    stop_timeout: z.number().int().min(0).max(600).default(10),
  })
  .strict()
  .refine((s) => !(s.oneshot && s.create_only), {
    message: "a service is either oneshot or create_only, not both",
    path: ["oneshot"],
  })
  .refine((s) => !(s.oneshot && s.restart === "always"), {
    message: "a oneshot service cannot restart always (use on-failure)",
    path: ["restart"],
  })
  .refine((s) => !(s.health && (s.oneshot || s.create_only)), {
    message: "a oneshot or create_only service is ready when it completes or is created: no health check",
    path: ["health"],
  });

/** One parsed service, with its name and defaults applied. */
export type ServiceSpec = z.output<typeof serviceSchema> & {
  name: string;
  /** The restart policy with the oneshot/create_only default resolved. */
  restart: "no" | "always" | "on-failure";
};

/** Applies the defaults that depend on other fields and attaches the name. */
export function toServiceSpec(name: string, parsed: z.output<typeof serviceSchema>): ServiceSpec {
  const restart = parsed.restart ?? (parsed.oneshot || parsed.create_only ? "no" : "always");
  return { ...parsed, name, restart };
}
