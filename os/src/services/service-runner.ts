import { nap } from "./changes.ts";
import { labels } from "./container-spec.ts";
import { CrashGuard } from "./crash-guard.ts";
import { type HealthReport, watchHealth } from "./health-watch.ts";
import type { RunnerContext, RunnerPlan } from "./runner-context.ts";
import type { ServiceSpec } from "./service-schema.ts";
import type { ServiceState, ServiceStatus } from "./service-status.ts";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Keeps one system service as its service.yml says, for as long as it is wanted: waits for the
 * services it comes after to be ready, starts it, watches its health, and restarts it by policy.
 * A start that fails is retried like an exit, with the same backoff and crash-loop guard: nothing
 * but a shutdown, a reconcile or the service's own policy ends the loop.
 */
export class ServiceRunner {
  readonly spec: ServiceSpec;
  readonly key: string;
  readonly status: ServiceStatus;
  /** Was ready once: running (healthy, with a check), completed, or created. Dependents wait for it. */
  isReady = false;
  /** Has had a first outcome: ready, a failure, or waiting on one. What a reconcile waits for. */
  settled = false;
  /** The loop ended: completed, created, exited, failed, or stopped. */
  finished = false;
  private readonly guard: CrashGuard;
  private readonly stopping = new AbortController();
  private readonly stopped: Promise<void>;
  private wake = new AbortController();
  private awaitingDependencies = false;
  /** An ephemeral console is made anew once per runner: at each boot, as RancherOS rebuilt it. */
  private rebuild: boolean;
  private attempt: AbortController | undefined;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly plan: RunnerPlan,
    private readonly ctx: RunnerContext,
  ) {
    this.spec = plan.spec;
    this.key = plan.key;
    this.status = { name: plan.spec.name, state: "waiting", restarts: 0 };
    this.guard = new CrashGuard(ctx.guard);
    this.rebuild = plan.spec.console !== undefined && !plan.spec.persistent;
    this.stopped = new Promise((resolve) => this.stopping.signal.addEventListener("abort", () => resolve()));
  }

  /** Starts the loop in the background; it never rejects. */
  start(): void {
    this.done = this.run()
      .catch((e) => {
        // Only a bug gets here: every engine call in the loop is caught and retried.
        this.set("failed", message(e));
        this.ctx.log.error("service runner crashed", { service: this.spec.name, error: message(e) });
      })
      .finally(() => {
        this.finished = true;
        this.settle();
      });
  }

  /** Ends the loop and stops the container (it stays, for `corral service logs`). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.attempt?.abort();
    await this.ctx.engine.stop(this.spec.name, this.spec.stop_timeout).catch(() => {});
    await this.done;
    this.set("stopped");
  }

  /**
   * System Docker is gone: the run under way is over (its wait may hang on the dead daemon, never
   * failing), and the loop waits for it to come back.
   */
  engineLost(): void {
    this.attempt?.abort();
  }

  /** System Docker is back: what failed while it was away is not the service's fault. Retry now. */
  kick(): void {
    this.guard.reset();
    this.wake.abort();
    this.wake = new AbortController();
  }

  /**
   * A reconcile is under way: a runner still waiting for the services it comes after (some of
   * which the reconcile may run again) has its first outcome under this reconcile still to come.
   */
  recheck(): void {
    if (this.awaitingDependencies) this.settled = false;
  }

  /** A service it comes after failed for good, or is itself blocked: waiting would be forever. */
  get blocking(): boolean {
    return (
      !this.isReady && (this.status.state === "blocked" || (this.finished && this.status.state !== "stopped"))
    );
  }

  private get isStopping(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * Records where the service stands; waiters hear of it only when something changed (runners
   * waiting on each other would otherwise wake each other forever).
   */
  private set(state: ServiceState, error?: string): void {
    if (this.status.state === state && this.status.error === error) return;
    this.status.state = state;
    if (error === undefined) delete this.status.error;
    else this.status.error = error;
    this.ctx.changes.notify();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.changes.notify();
  }

  private becomeReady(): void {
    this.settle();
    if (this.isReady) return;
    this.isReady = true;
    this.ctx.ready(this.spec.name);
    this.ctx.changes.notify();
  }

  /** `p`, or undefined as soon as the runner is stopping (an image that never loads must not hang a shutdown). */
  private unlessStopping<T>(p: Promise<T>): Promise<T | undefined> {
    return Promise.race([p, this.stopped.then(() => undefined)]);
  }

  private async run(): Promise<void> {
    if (!(await this.dependencies())) return;
    while (!this.isStopping) {
      if (!(await this.engineAvailable())) return;
      const startedAt = this.ctx.guard.now();
      try {
        this.set("starting");
        await this.unlessStopping(this.ctx.imageReady(this.spec.image));
        if (this.isStopping) return;
        await this.ensureContainer();
        if (this.spec.create_only) {
          this.set("created");
          return this.becomeReady();
        }
        await this.ctx.engine.start(this.spec.name);
      } catch (e) {
        if (this.isStopping) return;
        await this.retryLater(`start failed: ${message(e)}`);
        continue;
      }
      const exit = await this.runOnce();
      if (this.isStopping) return;
      if ("error" in exit) {
        await this.retryLater(`lost the container: ${exit.error}`);
        continue;
      }
      this.status.lastExitCode = exit.code;
      if (this.spec.oneshot && exit.code === 0) {
        this.set("completed");
        return this.becomeReady();
      }
      const { restart } = this.spec;
      if (!(restart === "always" || (restart === "on-failure" && exit.code !== 0))) {
        if (exit.code === 0) this.set("exited");
        else this.set("failed", `exited with code ${exit.code}`);
        if (exit.code !== 0)
          this.ctx.log.error("service failed", { service: this.spec.name, code: exit.code });
        return;
      }
      // A run that lasted the whole window was healthy: its exit starts the backoff afresh.
      if (this.ctx.guard.now() - startedAt >= this.ctx.guard.windowMs) this.guard.reset();
      await this.retryLater(`exited with code ${exit.code}`);
    }
  }

  /** Waits until every wanted service in `after` is ready; false when stopped meanwhile. */
  private async dependencies(): Promise<boolean> {
    this.awaitingDependencies = true;
    for (;;) {
      if (this.isStopping) return false;
      const pending = this.spec.after
        .map((name) => this.ctx.peer(name))
        .filter((p): p is ServiceRunner => p !== undefined && p !== this && !p.isReady);
      if (pending.length === 0) {
        this.awaitingDependencies = false;
        return true;
      }
      const failed = pending.find((p) => p.blocking);
      if (failed) this.set("blocked", `needs ${failed.spec.name}, which failed`);
      else this.set("waiting", `needs ${pending.map((p) => p.spec.name).join(", ")}, not ready yet`);
      if (failed || pending.every((p) => p.settled)) this.settle();
      await this.ctx.changes.next(this.stopping.signal);
    }
  }

  /** Waits while System Docker is away; false when stopped meanwhile. */
  private async engineAvailable(): Promise<boolean> {
    while (!this.ctx.engineUp()) {
      if (this.isStopping) return false;
      this.set("waiting", "System Docker is not running");
      this.settle();
      await this.ctx.changes.next(this.stopping.signal);
    }
    return !this.isStopping;
  }

  /** Counts a failure and waits out the backoff or the crash-loop cooldown (or a `kick`). */
  private async retryLater(reason: string): Promise<void> {
    // A failure while System Docker is away is its, not the service's: wait for it instead.
    if (!this.ctx.engineUp()) return;
    this.status.restarts++;
    const pause = this.guard.failure();
    const service = this.spec.name;
    if (pause.crashLoop) {
      const window = this.ctx.guard.windowMs / 1000;
      this.set(
        "crash-loop",
        `${reason}; ${pause.recent} failures within ${window} s, next try in ${pause.ms / 1000} s`,
      );
      this.ctx.log.warn("service crash-looping, holding off", { service, reason, ms: pause.ms });
    } else {
      this.set("backoff", reason);
      this.ctx.log.warn("service failed, retrying", { service, reason, ms: pause.ms });
    }
    this.settle();
    await nap(pause.ms, [this.stopping.signal, this.wake.signal]);
  }

  /** One run of the started container: its health watched, its exit awaited. */
  private async runOnce(): Promise<{ code: number } | { error: string }> {
    const attempt = new AbortController();
    this.attempt = attempt;
    if (this.plan.health) {
      this.status.health = "starting";
      this.set("starting");
      const { probe, guard } = this.ctx;
      const report = this.healthReport();
      void watchHealth(this.spec.name, this.plan.health, probe, guard.now, report, attempt.signal);
    } else {
      this.set("running");
      if (!this.spec.oneshot) this.becomeReady();
    }
    this.ctx.log.info("service started", { service: this.spec.name, restarts: this.status.restarts });
    try {
      return { code: await this.ctx.engine.wait(this.spec.name, attempt.signal) };
    } catch (e) {
      return { error: message(e) };
    } finally {
      attempt.abort();
      delete this.status.health;
    }
  }

  /** What the health watch of a run found: ready at the first pass, unhealthy reported. */
  private healthReport(): HealthReport {
    const { log } = this.ctx;
    const service = this.spec.name;
    return {
      pass: () => {
        if (this.status.health !== "healthy") log.info("service healthy", { service });
        this.status.health = "healthy";
        this.set("running");
        this.becomeReady();
      },
      unhealthy: (error) => {
        if (this.status.health !== "unhealthy") log.warn("service unhealthy", { service, error });
        this.status.health = "unhealthy";
        this.set(this.status.state, `health check: ${error}`);
        this.settle();
      },
      failed: (error, passedBefore) => {
        // Before the first pass the last failure says what the service is waiting for.
        if (!passedBefore) this.set(this.status.state, `health check: ${error}`);
      },
    };
  }

  /**
   * Reuses a container made from the same options, else (re)creates it. An ephemeral console (a
   * `console:` service not `persistent`) is recreated at its first start under this runner, so
   * what was written outside its bound directories does not outlive a reboot.
   */
  private async ensureContainer(): Promise<void> {
    const { engine } = this.ctx;
    const current = await engine.inspect(this.spec.name);
    const rebuild = this.rebuild;
    this.rebuild = false;
    if (current && current.hash === this.plan.options.Labels?.[labels.hash] && !rebuild) return;
    if (current) await engine.remove(this.spec.name);
    await engine.create(this.plan.options);
  }
}
