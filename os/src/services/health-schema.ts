import { z } from "zod";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a compose-style duration (`250ms`, `10s`, `1m30s`), or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * units[unit!]!;
  return Math.round(ms);
}

/** A duration written as compose writes them, read as milliseconds. */
const durationSchema = z
  .string()
  .refine((t) => parseDuration(t) !== undefined, "expected a duration like 500ms, 10s or 1m30s")
  .transform((t) => parseDuration(t)!);

/**
 * `health:` of a service.yml: how PID 1 tells that a started service is ready. Exactly one probe:
 * - `command`: runs in the service's container (like `docker exec`); exit 0 is healthy.
 * - `socket` alone: a unix socket (a host path) accepts a connection.
 * - `http`: a GET answers 2xx or 3xx; a URL (`http://127.0.0.1:8080/ping`), or with `socket` a
 *   path (`/_ping`) asked over that unix socket.
 *
 * Until the first pass the probe runs every `start_interval` (readiness is what dependents and the
 * boot wait for), afterwards every `interval`. Failures in the first `start_period` are not
 * counted; after it, `retries` failures in a row mark the service unhealthy. An unhealthy service
 * is reported (`corral service list`, the log), not restarted: restarting User Docker because it
 * answered slowly under load would kill every user container.
 *
 * Services that name it in `after:` start only once it has passed.
 */
export const healthSchema = z
  .object({
    /** Runs in the container: a string is split like `command`. */
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    /** A unix socket path on the host. */
    socket: z.string().startsWith("/", "a socket is an absolute path").optional(),
    /** A URL, or with `socket` a path. */
    http: z.string().min(1).optional(),
    interval: durationSchema.default(10_000),
    timeout: durationSchema.default(5_000),
    retries: z.number().int().min(1).max(100).default(3),
    start_period: durationSchema.default(60_000),
    start_interval: durationSchema.default(500),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.command === undefined && h.socket === undefined && h.http === undefined) {
      ctx.addIssue({ code: "custom", message: "a health check needs command, socket or http", path: [] });
    }
    if (h.command !== undefined && (h.socket !== undefined || h.http !== undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "command is a probe of its own: drop socket/http",
        path: ["command"],
      });
    }
    if (h.http === undefined) return;
    if (h.socket !== undefined && !h.http.startsWith("/")) {
      ctx.addIssue({ code: "custom", message: "with socket, http is a path like /_ping", path: ["http"] });
    }
    if (h.socket === undefined && !/^http:\/\/[^/]+/.test(h.http)) {
      ctx.addIssue({
        code: "custom",
        message: "expected a URL like http://127.0.0.1:8080/ping (or a path with socket)",
        path: ["http"],
      });
    }
  });

/** One `health:` section, durations in milliseconds. */
export type HealthSpec = z.output<typeof healthSchema>;
