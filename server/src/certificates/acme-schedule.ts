import type { AcmeChallenge } from "@corral/api";
import { AppError } from "@corral/lib";

/** What an ACME certificate keeps beside its PEMs (in the row's `acme` field). */
export interface AcmeFields {
  domains: string[];
  email: string | null;
  directoryUrl: string;
  /** The account's private key, sealed with the server's SecretBox; null until the first order. */
  accountKey: string | null;
  /** HTTP-01 challenges the balancers answer while an order is open. */
  challenges: AcmeChallenge[];
  /** Failed attempts in a row (reset by an issued certificate). */
  failures: number;
  /** Not before this instant (ms): the retry after a failure, or the next balancer check. */
  nextAttemptAt: number | null;
  /** Set by the `renew` action: renew now, whatever the expiry. */
  renewRequested: boolean;
}

/** How the issuer schedules: renewal margin and retry backoff. */
export interface AcmeTimings {
  /** Renew this long before expiry (CORRAL_ACME_RENEW_DAYS, default 30 days). */
  renewBeforeMs: number;
  /** First retry after a failure; doubles with each failure in a row. */
  retryBaseMs: number;
  /** The longest wait between retries. */
  retryMaxMs: number;
}

const day = 24 * 3600 * 1000;

/** Default timings: renew 30 days before expiry; retry after 1 min, doubling to 6 h. */
export const defaultAcmeTimings: AcmeTimings = {
  renewBeforeMs: 30 * day,
  retryBaseMs: 60_000,
  retryMaxMs: 6 * 3600 * 1000,
};

/** The environment variable that sets the renewal margin in days. */
export const renewDaysVariable = "CORRAL_ACME_RENEW_DAYS";

/** The renewal margin from `env` (whole days, 1 to 365), or the default; throws on anything else. */
export function renewBeforeMsFrom(env: Record<string, string | undefined>): number {
  const raw = env[renewDaysVariable];
  if (raw === undefined || raw === "") return defaultAcmeTimings.renewBeforeMs;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 365)
    throw new AppError(
      "InvalidOption",
      `${renewDaysVariable}=${raw.slice(0, 32)}: must be whole days from 1 to 365`,
    );
  return n * day;
}

/** What the issuer reads of a certificate row to schedule it. */
export interface ScheduledCertificate {
  state: string;
  expiresAt?: string;
  issuedAt?: string;
  acme: Pick<AcmeFields, "nextAttemptAt" | "renewRequested">;
}

/**
 * When a certificate's validity is renewed: `renewBeforeMs` before it ends, but never in the first
 * half of its life, so a CA that issues short certificates (shorter than twice the margin) is not
 * asked again on every pass.
 */
export function renewalAt(expiresAt: number, issuedAt: number, renewBeforeMs: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  return expiresAt - Math.min(renewBeforeMs, lifetime / 2);
}

/**
 * The instant (ms) at which the issuer should next work on a certificate, or null when nothing is
 * due ever (removed). A renewal asked by the `renew` action and an order interrupted by a restart
 * (`issuing`) are due at once (or at `nextAttemptAt` while no balancer runs); a failed or waiting one at its `nextAttemptAt`; an issued one at its
 * renewal time (or its retry time when a renewal failed, whichever is later).
 */
export function dueAt(
  cert: ScheduledCertificate,
  timings: Pick<AcmeTimings, "renewBeforeMs">,
): number | null {
  if (cert.state === "removed" || cert.state === "purged") return null;
  const retry = cert.acme.nextAttemptAt ?? 0;
  if (cert.acme.renewRequested || cert.state === "issuing") return retry;
  const expires = cert.expiresAt ? Date.parse(cert.expiresAt) : Number.NaN;
  if (Number.isNaN(expires)) return retry; // never issued: pending or error
  const issued = cert.issuedAt ? Date.parse(cert.issuedAt) : expires;
  return Math.max(renewalAt(expires, Number.isNaN(issued) ? expires : issued, timings.renewBeforeMs), retry);
}

/** The wait before the next attempt after `failures` failures in a row (1 or more). */
export function retryDelay(
  failures: number,
  timings: Pick<AcmeTimings, "retryBaseMs" | "retryMaxMs">,
): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(timings.retryBaseMs * 2 ** exp, timings.retryMaxMs);
}
