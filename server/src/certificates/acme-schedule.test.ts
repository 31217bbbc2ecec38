import { describe, expect, test } from "bun:test";
import { defaultAcmeTimings, dueAt, renewalAt, renewBeforeMsFrom, retryDelay } from "./acme-schedule.ts";

const day = 24 * 3600 * 1000;
const t0 = Date.parse("2026-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const idle = { nextAttemptAt: null, renewRequested: false };
const timings = { renewBeforeMs: 30 * day };

describe("ACME renewal scheduling", () => {
  test("a 90-day certificate renews 30 days before it expires", () => {
    const cert = { state: "active", issuedAt: iso(t0), expiresAt: iso(t0 + 90 * day), acme: idle };
    expect(dueAt(cert, timings)).toBe(t0 + 60 * day);
  });

  test("the margin is configurable", () => {
    const cert = { state: "active", issuedAt: iso(t0), expiresAt: iso(t0 + 90 * day), acme: idle };
    expect(dueAt(cert, { renewBeforeMs: 10 * day })).toBe(t0 + 80 * day);
  });

  test("a short certificate renews at half its life, not at once and over again", () => {
    expect(renewalAt(t0 + 7 * day, t0, 30 * day)).toBe(t0 + 3.5 * day);
    const cert = { state: "active", issuedAt: iso(t0), expiresAt: iso(t0 + 7 * day), acme: idle };
    expect(dueAt(cert, timings)).toBe(t0 + 3.5 * day);
  });

  test("pending and interrupted orders are due now; a requested renewal too", () => {
    expect(dueAt({ state: "pending", acme: idle }, timings)).toBe(0);
    expect(dueAt({ state: "issuing", acme: idle }, timings)).toBe(0);
    const active = { state: "active", issuedAt: iso(t0), expiresAt: iso(t0 + 90 * day) };
    expect(dueAt({ ...active, acme: { ...idle, renewRequested: true } }, timings)).toBe(0);
    // Waiting for a balancer to run: asked again at the recheck time, not in a busy loop.
    expect(dueAt({ ...active, acme: { renewRequested: true, nextAttemptAt: t0 + 5000 } }, timings)).toBe(
      t0 + 5000,
    );
  });

  test("a failure waits for its retry time; a failed renewal never runs before the renewal time", () => {
    expect(dueAt({ state: "error", acme: { ...idle, nextAttemptAt: t0 + 5000 } }, timings)).toBe(t0 + 5000);
    const active = { state: "error", issuedAt: iso(t0), expiresAt: iso(t0 + 90 * day) };
    expect(dueAt({ ...active, acme: { ...idle, nextAttemptAt: t0 + 70 * day } }, timings)).toBe(
      t0 + 70 * day,
    );
    expect(dueAt({ ...active, acme: { ...idle, nextAttemptAt: t0 + day } }, timings)).toBe(t0 + 60 * day);
  });

  test("removed certificates are never due", () => {
    expect(dueAt({ state: "removed", acme: { ...idle, renewRequested: true } }, timings)).toBeNull();
  });

  test("retries back off exponentially up to the bound", () => {
    const t = { retryBaseMs: 1000, retryMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 60].map((n) => retryDelay(n, t))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(retryDelay(0, t)).toBe(1000);
  });

  test("CORRAL_ACME_RENEW_DAYS sets the margin; nonsense is refused with the reason", () => {
    expect(renewBeforeMsFrom({})).toBe(defaultAcmeTimings.renewBeforeMs);
    expect(renewBeforeMsFrom({ CORRAL_ACME_RENEW_DAYS: "14" })).toBe(14 * day);
    for (const bad of ["0", "-3", "1.5", "abc", "400"])
      expect(() => renewBeforeMsFrom({ CORRAL_ACME_RENEW_DAYS: bad })).toThrow("whole days from 1 to 365");
  });
});
