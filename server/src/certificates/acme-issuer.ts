import type { AcmeChallenge } from "@corral/api";
import { createLogger, sleep } from "@corral/lib";
import type { SecretBox } from "../auth/secret-box.ts";
import { balancersOf } from "../orchestrator/drain.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { newAccountKey, orderCertificate } from "./acme-order.ts";
import { type AcmeFields, type AcmeTimings, dueAt, retryDelay } from "./acme-schedule.ts";
import type { CertificateFields } from "./certificates.ts";
import { inspectCertificate } from "./pem.ts";

const log = createLogger("acme");

/** A certificate row as the issuer sees it. */
type AcmeRow = Row<Partial<CertificateFields> & { acme?: AcmeFields; transitioningMessage?: string | null }>;

/** How long a published challenge waits for the balancers to serve it before the CA is asked anyway. */
const servedWithinMs = 60_000;
/** How often a certificate with no running balancer in its environment is looked at again. */
const noBalancerRecheckMs = 5000;
/** The longest sleep of the loop (a clock jump or a lost wake costs at most this). */
const maxSleepMs = 3600_000;

/**
 * Issues and renews the ACME certificates of every environment, one order at a time: a pending one
 * as soon as a load balancer of its environment runs (it answers HTTP-01), an issued one
 * `renewBeforeMs` before expiry or when the `renew` action asks. Challenges are written on the
 * certificate row, so the network view carries them to the balancer hosts, whose HAProxy answers
 * them (seamless reload); the CA is told to validate once every balancer confirmed serving that
 * view. The new PEMs replace the old ones on the same row, so the balancers that use it reload with
 * the new certificate and never serve without one. Failures go to `error` with the CA's message and
 * are retried with backoff; the previous certificate, if any, stays in use.
 */
export class AcmeIssuer {
  private stopped = false;
  private woken = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private unlisten: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    private readonly box: SecretBox,
    private readonly timings: AcmeTimings,
  ) {}

  /** Starts the loop; certificate changes (a create, the `renew` action) wake it. */
  start(): void {
    this.unlisten = this.store.onChange((change) => {
      if (change.row.type === "certificate" && (change.row.data as { acme?: unknown }).acme) this.poke();
    });
    this.loopDone = this.loop().catch((e) => log.error("ACME loop failed", { error: String(e) }));
  }

  /** Stops the loop; an order in progress gets a few seconds to end (its row says `issuing`, resumed at start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    this.poke();
    await Promise.race([this.loopDone, sleep(5000)]);
  }

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      let next = Date.now() + maxSleepMs;
      let worked = false;
      for (const row of this.store.all<AcmeRow["data"]>("certificate", {})) {
        if (this.stopped) return;
        const acme = row.data.acme;
        if (!acme) continue;
        const at = dueAt(
          { state: row.state, expiresAt: row.data.expiresAt, issuedAt: row.data.issuedAt, acme },
          this.timings,
        );
        if (at === null) continue;
        if (at <= Date.now()) {
          await this.work(row.id);
          worked = true;
        } else next = Math.min(next, at);
      }
      if (worked || this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, next - Date.now()));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }

  /** Writes the ACME part (and more) of a row, if it is still in one of `states`. */
  private patch(
    id: number,
    states: string[],
    patch: { state?: string; secret?: string; data?: Record<string, unknown> },
  ): AcmeRow | null {
    return this.store.update(id, patch, states) as AcmeRow | null;
  }

  /** One attempt at a certificate: wait for a balancer, order, store the result or the failure. */
  private async work(id: number): Promise<void> {
    const row = this.store.get(id) as AcmeRow | null;
    const acme = row?.data.acme;
    if (!row || !acme || row.state === "removed") return;
    const projectId = row.projectId!;
    const issued = Boolean(row.data.expiresAt);
    const states = ["pending", "issuing", "active", "error"];
    if (balancersOf(this.store, projectId, this.dispatcher).length === 0) {
      this.patch(id, states, {
        data: {
          transitioningMessage:
            "waiting for a running load balancer in this environment to answer HTTP-01 on port 80",
          acme: { ...acme, nextAttemptAt: Date.now() + noBalancerRecheckMs },
        },
      });
      return;
    }
    const started = Date.now();
    let accountKey: string;
    let sealed = acme.accountKey;
    try {
      accountKey = sealed ? this.box.open(sealed) : await newAccountKey();
    } catch (e) {
      return this.fail(id, acme, issued, `the ACME account key cannot be opened: ${(e as Error).message}`);
    }
    sealed ??= this.box.seal(accountKey);
    const fresh: AcmeFields = {
      ...acme,
      accountKey: sealed,
      renewRequested: false,
      nextAttemptAt: null,
      challenges: [],
    };
    const message = `${issued ? "renewing" : "ordering"} from ${acme.directoryUrl}`;
    if (!this.patch(id, states, { state: "issuing", data: { transitioningMessage: message, acme: fresh } }))
      return;
    log.info(issued ? "renewing certificate" : "ordering certificate", {
      id,
      domains: acme.domains.join(","),
    });
    try {
      const result = await orderCertificate(
        { directoryUrl: acme.directoryUrl, accountKey, email: acme.email, domains: acme.domains },
        {
          publish: (c) => this.publish(id, projectId, c),
          withdraw: async (token) => this.withdraw(id, token),
        },
      );
      const info = inspectCertificate(result.cert, result.key, result.certChain);
      const current = (this.store.get(id) as AcmeRow | null)?.data.acme ?? fresh;
      const done = this.patch(id, ["issuing"], {
        state: "active",
        secret: result.key,
        data: {
          cert: result.cert,
          certChain: result.certChain,
          ...info,
          transitioningMessage: null,
          acme: { ...current, challenges: [], failures: 0, nextAttemptAt: null },
        },
      });
      if (done) log.info("certificate issued", { id, ms: Date.now() - started, expiresAt: info.expiresAt });
    } catch (e) {
      this.fail(id, fresh, issued, (e as Error).message || String(e));
    }
  }

  private fail(id: number, acme: AcmeFields, issued: boolean, reason: string): void {
    const failures = acme.failures + 1;
    const nextAttemptAt = Date.now() + retryDelay(failures, this.timings);
    const current = (this.store.get(id) as AcmeRow | null)?.data.acme ?? acme;
    const kept = issued ? "; the current certificate stays in use" : "";
    const message = `${issued ? "renewal" : "issuance"} failed: ${reason.slice(0, 1000)}${kept}; next attempt at ${new Date(nextAttemptAt).toISOString()}`;
    log.warn("ACME order failed", { id, failures, reason: reason.slice(0, 300) });
    this.patch(id, ["pending", "issuing", "active", "error"], {
      state: "error",
      data: { transitioningMessage: message, acme: { ...current, challenges: [], failures, nextAttemptAt } },
    });
  }

  /** Adds a challenge to the row and resolves once every balancer of the environment serves it. */
  private async publish(id: number, projectId: string, challenge: AcmeChallenge): Promise<void> {
    const row = this.store.get(id) as AcmeRow | null;
    const acme = row?.data.acme;
    if (!acme) throw new Error("the certificate was removed");
    const challenges = [...acme.challenges.filter((c) => c.token !== challenge.token), challenge];
    if (!this.patch(id, ["issuing"], { data: { acme: { ...acme, challenges } } }))
      throw new Error("the certificate was removed");
    // Taken right after the commit: a view sent after this instant carries the challenge.
    const views = this.dispatcher.balancers;
    const mark = views?.mark();
    if (!views || !mark) return;
    const deadline = Date.now() + servedWithinMs;
    while (!this.stopped) {
      const pending = balancersOf(this.store, projectId, this.dispatcher).filter(
        (b) => !views.passed(mark, b.hostId, b.id),
      );
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        log.warn("load balancers did not confirm the ACME challenge in time", {
          balancers: pending.map((b) => b.id).join(","),
        });
        return;
      }
      await views.next(1000);
    }
  }

  private withdraw(id: number, token: string): void {
    const acme = (this.store.get(id) as AcmeRow | null)?.data.acme;
    if (!acme) return;
    const challenges = acme.challenges.filter((c) => c.token !== token);
    this.patch(id, ["issuing", "active", "error", "pending"], { data: { acme: { ...acme, challenges } } });
  }
}
