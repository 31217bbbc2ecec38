import { AppError } from "@corral/lib";
import type { VerbContext } from "./context.ts";

/**
 * The most units one service may ask for when the server is not told otherwise. Rancher 1.6 had no
 * bound, and its users ran services of a few to a few hundred units; one unit takes one address of
 * a host's /24 (253), so 1,000 units already need four full hosts. A bound keeps one request (one
 * `PUT {"scale": ...}` from any environment key) from making the server create and watch tens of
 * thousands of containers; an operator with bigger services raises it.
 */
export const defaultMaxServiceScale = 1000;

/** The hard ceiling of the API's `scale` field, and so of the setting. */
export const scaleCeiling = 10_000;

/** The environment variable that sets the bound at start. */
export const maxScaleVariable = "CORRAL_MAX_SERVICE_SCALE";

/** The setting's name, as `GET /v2-beta/settings/<name>` shows it. */
export const maxScaleSetting = "service.scale.max";

/**
 * The bound configured in `env` (CORRAL_MAX_SERVICE_SCALE), or the default; throws, saying why,
 * when it is set to something that is not a whole number from 1 to 10,000.
 */
export function maxServiceScaleFrom(env: Record<string, string | undefined>): number {
  const raw = env[maxScaleVariable];
  if (raw === undefined || raw === "") return defaultMaxServiceScale;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > scaleCeiling) {
    throw new AppError(
      "InvalidOption",
      `${maxScaleVariable}=${raw.slice(0, 32)}: must be a whole number from 1 to ${scaleCeiling}`,
    );
  }
  return n;
}

/** Refuses (422) a scale above the server's bound, naming the bound and how to change it. */
export function checkScale(ctx: VerbContext, scale: number | undefined, service?: string): void {
  const max = ctx.settings.maxServiceScale ?? defaultMaxServiceScale;
  if (scale === undefined || scale <= max) return;
  const who = service ? `service ${service}: ` : "";
  throw new AppError(
    "InvalidOption",
    `${who}scale ${scale} is above this server's limit of ${max} units per service (setting ${maxScaleSetting}, set with ${maxScaleVariable})`,
    { detail: { field: "scale", limit: max } },
  );
}
