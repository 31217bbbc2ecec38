import { createLogger, type Logger } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";
import { Changes } from "./changes.ts";
import { containerOptions, labels } from "./container-spec.ts";
import type { GuardOptions } from "./crash-guard.ts";
import type { Engine } from "./engine.ts";
import { type HealthProbe, healthCheckOf, realProbe } from "./health-check.ts";
import type { RunnerContext, RunnerPlan } from "./runner-context.ts";
import { isEnabled } from "./service-config.ts";
import { orderServices } from "./service-order.ts";
import { ServiceRunner } from "./service-runner.ts";
import type { ServiceSpec } from "./service-schema.ts";
import type { ServiceStatus } from "./service-status.ts";

/** Tunables, small in tests. The guard: `maxRestarts` failures within `windowMs` → crash-loop for `cooldownMs`. */
export interface SupervisorOptions {
  missingCaps?: readonly string[];
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxRestarts?: number;
  windowMs?: number;
  cooldownMs?: number;
  /** Resolves once a service's image is in the engine (boot loads shipped images in the background). */
  imageReady?: (image: string) => Promise<void>;
  /** Runs health checks; the real probes by default. */
  probe?: HealthProbe;
  /** Called when a service first becomes ready (boot milestones). */
  onReady?: (name: string) => void;
  now?: () => number;
  log?: Logger;
}

/**
 * Runs system services in System Docker and keeps them as desired: each service has a runner
 * (service-runner.ts) that starts it once what it comes after is ready and restarts it by policy.
 * A reconcile recreates what changed, removes what is no longer enabled, and runs again what
 * failed for good. No service's failure is an error of the supervisor: it is in the status.
 */
export class Supervisor {
  private runners = new Map<string, ServiceRunner>();
  private readonly changes = new Changes();
  private readonly context: RunnerContext;
  private available = true;
  private shuttingDown = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: Engine,
    private readonly options: SupervisorOptions = {},
  ) {
    const guard: GuardOptions = {
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      maxRestarts: options.maxRestarts ?? 5,
      windowMs: options.windowMs ?? 60_000,
      cooldownMs: options.cooldownMs ?? 300_000,
      now: options.now ?? Date.now,
    };
    this.context = {
      engine,
      log: options.log ?? createLogger("supervisor"),
      guard,
      probe: options.probe ?? realProbe(engine),
      imageReady: options.imageReady ?? (() => Promise.resolve()),
      changes: this.changes,
      peer: (name) => this.runners.get(name),
      engineUp: () => this.available,
      ready: (name) => options.onReady?.(name),
    };
  }

  /** Every service's status, in start order. */
  status(): ServiceStatus[] {
    return [...this.runners.values()].map((r) => ({ ...r.status }));
  }

  /**
   * Makes the running set match `specs` under `config`. Resolves, with every status, once each
   * enabled service has had a first outcome: ready, or failed and being retried, or waiting on one
   * that failed. Rejects only when the services cannot be planned (a cycle) or System Docker
   * cannot be asked. Reconciles run one at a time.
   */
  reconcile(specs: readonly ServiceSpec[], config: CorralConfig): Promise<ServiceStatus[]> {
    const run = this.queue.then(() => this.reconcileNow(specs, config));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Resolves once the named service has had a first outcome (see `reconcile`). */
  async whenSettled(name: string): Promise<void> {
    while (!this.runners.get(name)?.settled) await this.changes.next();
  }

  /** System Docker exited: until `engineBack`, services wait for it instead of counting failures. */
  engineLost(): void {
    this.available = false;
    for (const r of this.runners.values()) r.engineLost();
    this.changes.notify();
  }

  /** System Docker answers again: every service forgets its failures and tries again now. */
  engineBack(): void {
    this.available = true;
    for (const r of this.runners.values()) r.kick();
    this.changes.notify();
  }

  /**
   * Stops every service in reverse start order (shutdown). A reconcile under way stops where it
   * is, and later ones do nothing: nothing may start behind the shutdown's back.
   */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    this.changes.notify();
    for (const r of [...this.runners.values()].reverse()) await r.stop();
  }

  private async reconcileNow(specs: readonly ServiceSpec[], config: CorralConfig): Promise<ServiceStatus[]> {
    if (this.shuttingDown) return this.status();
    const wanted = orderServices(specs.filter((s) => isEnabled(s, config)));
    const plans = new Map(wanted.map((s) => [s.name, this.plan(s, config)]));
    // A persistent service turned off is stopped but its container kept (a persistent console).
    const keep = new Set(specs.filter((s) => s.persistent).map((s) => s.name));
    // Stop, in reverse start order, what is no longer wanted or changed, and retire what failed
    // for good: a reconcile (`corral service up`) is how a user runs it again.
    for (const r of [...this.runners.values()].reverse()) {
      const plan = plans.get(r.spec.name);
      if (plan?.key === r.key && !(r.finished && r.status.state === "failed")) continue;
      await r.stop();
      if (plan ? plan.key !== r.key : !keep.has(r.spec.name))
        await this.engine.remove(r.spec.name).catch(() => {});
      this.runners.delete(r.spec.name);
    }
    for (const name of await this.engine.listServiceContainers()) {
      if (!plans.has(name) && !keep.has(name)) await this.engine.remove(name).catch(() => {});
    }
    if (this.shuttingDown) return this.status();
    const fresh: ServiceRunner[] = [];
    for (const s of wanted) {
      if (this.runners.has(s.name)) continue;
      const r = new ServiceRunner(plans.get(s.name)!, this.context);
      this.runners.set(s.name, r);
      fresh.push(r);
    }
    // Start order, for status() and the shutdown.
    this.runners = new Map(wanted.map((s) => [s.name, this.runners.get(s.name)!]));
    for (const r of fresh) r.start();
    for (const r of this.runners.values()) r.recheck();
    while (!this.shuttingDown && !wanted.every((s) => this.runners.get(s.name)?.settled)) {
      await this.changes.next();
    }
    return this.status();
  }

  private plan(spec: ServiceSpec, config: CorralConfig): RunnerPlan {
    const options = containerOptions(spec, config, this.options.missingCaps ?? []);
    const health = healthCheckOf(spec, config);
    const key = `${options.Labels?.[labels.hash] ?? ""} ${JSON.stringify(health ?? null)}`;
    return { spec, options, health, key };
  }
}
