import { AppError } from "@corral/lib";
import { defaultSessionTtlMs } from "./sessions.ts";

/**
 * How long login sessions last: CORRAL_SESSION_TTL_HOURS (0.1 to 720 hours), else 16 h as in
 * Rancher. Shown as Rancher's setting `api.auth.jwt.token.expiry` (milliseconds).
 */
export function sessionTtlFrom(env: Record<string, string | undefined>): number {
  const raw = env.CORRAL_SESSION_TTL_HOURS?.trim();
  if (!raw) return defaultSessionTtlMs;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0.1 || hours > 720)
    throw new AppError(
      "InvalidOption",
      `CORRAL_SESSION_TTL_HOURS must be a number of hours from 0.1 to 720, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  return Math.round(hours * 3600_000);
}
