import { AppError, Backoff, createLogger, type Logger, sleep } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";
import { containerOptions } from "./container-spec.ts";
import type { Engine } from "./engine.ts";
import { isEnabled } from "./service-config.ts";
import { orderServices } from "./service-order.ts";
import type { ServiceSpec } from "./service-schema.ts";

/** Where one service stands, as `corral service list` shows it. */
export type ServiceState =
  | "waiting"
  | "starting"
  | "running"
  | "completed"
  | "created"
  | "exited"
  | "backoff"
  | "crash-loop"
  | "failed"
  | "blocked"
  | "stopped";

/** Status of one supervised service. */
export interface ServiceStatus {
  name: string;
  state: ServiceState;
  restarts: number;
  lastExitCode?: number;
  error?: string;
}

/** Tunables, small in tests. The guard: `maxRestarts` crashes within `windowMs` → crash-loop for `cooldownMs`. */
export interface SupervisorOptions {
  missingCaps?: readonly string[];
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxRestarts?: number;
  windowMs?: number;
  cooldownMs?: number;
  /** Resolves once a service's image is in the engine (boot loads shipped images in the background). */
  imageReady?: (image: string) => Promise<void>;
  log?: Logger;
}

interface Runner {
  spec: ServiceSpec;
  hash: string;
  status: ServiceStatus;
  abort: AbortController;
  /** Settles once the service is ready for dependents (running, completed, created) or has failed. */
  ready: Promise<boolean>;
  done: Promise<void>;
}

/**
 * Runs system services in System Docker and keeps them as desired: starts them in `after` order,
 * waits for one-shots, restarts by policy with backoff, holds a crash-looping service off for a
 * cooldown, and on reconcile recreates what changed and removes what is no longer enabled.
 */
export class Supervisor {
  private readonly runners = new Map<string, Runner>();
  private readonly log: Logger;

  constructor(
    private readonly engine: Engine,
    private readonly options: SupervisorOptions = {},
  ) {
    this.log = options.log ?? createLogger("supervisor");
  }

  /** Every service's status, in start order. */
  status(): ServiceStatus[] {
    return [...this.runners.values()].map((r) => ({ ...r.status }));
  }

  /**
   * Makes the running set match `specs` under `config`; resolves when every enabled service is ready.
   * Rejects (after starting all it can) naming the services that failed or were blocked by a failure.
   */
  async reconcile(specs: readonly ServiceSpec[], config: CorralConfig): Promise<void> {
    const wanted = orderServices(specs.filter((s) => isEnabled(s, config)));
    const hashes = new Map(
      wanted.map((s) => [s.name, this.optionsOf(s, config).Labels?.["io.corral.os.hash"] ?? ""]),
    );
    // Stop, in reverse start order, what is no longer wanted or changed.
    for (const r of [...this.runners.values()].reverse()) {
      if (hashes.get(r.spec.name) !== r.hash) await this.stopRunner(r, true);
    }
    const wantedNames = new Set(wanted.map((s) => s.name));
    for (const name of await this.engine.listServiceContainers()) {
      if (!wantedNames.has(name)) await this.engine.remove(name).catch(() => {});
    }
    for (const spec of wanted) {
      if (!this.runners.has(spec.name))
        this.runners.set(spec.name, this.startRunner(spec, config, hashes.get(spec.name)!));
    }
    const results = await Promise.all(
      wanted.map(async (s) => [s.name, await this.runners.get(s.name)!.ready] as const),
    );
    const failed = results
      .filter(([, ok]) => !ok)
      .map(([n]) => `${n} (${this.runners.get(n)?.status.error ?? "failed"})`);
    if (failed.length > 0) throw new AppError("ServerError", `system services failed: ${failed.join(", ")}`);
  }

  /** Stops every service in reverse start order (shutdown). */
  async stopAll(): Promise<void> {
    for (const r of [...this.runners.values()].reverse()) await this.stopRunner(r, false);
  }

  private optionsOf(spec: ServiceSpec, config: CorralConfig) {
    return containerOptions(spec, config, this.options.missingCaps ?? []);
  }

  private async stopRunner(r: Runner, remove: boolean): Promise<void> {
    r.abort.abort();
    await this.engine.stop(r.spec.name, r.spec.stop_timeout).catch(() => {});
    await r.done;
    if (remove) {
      await this.engine.remove(r.spec.name).catch(() => {});
      this.runners.delete(r.spec.name);
    }
    r.status.state = "stopped";
  }

  private startRunner(spec: ServiceSpec, config: CorralConfig, hash: string): Runner {
    let settle: (ok: boolean) => void = () => {};
    const ready = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const r: Runner = {
      spec,
      hash,
      status: { name: spec.name, state: "waiting", restarts: 0 },
      abort: new AbortController(),
      ready,
      done: Promise.resolve(),
    };
    r.done = this.run(r, config, settle).catch((e) => {
      r.status.state = "failed";
      r.status.error = e instanceof Error ? e.message : String(e);
      this.log.error("service failed", { service: spec.name, error: r.status.error });
      settle(false);
    });
    return r;
  }

  private async run(r: Runner, config: CorralConfig, settle: (ok: boolean) => void): Promise<void> {
    const { spec, status, abort } = r;
    for (const dep of spec.after) {
      const d = this.runners.get(dep);
      if (d && !(await d.ready)) {
        status.state = "blocked";
        status.error = `needs ${dep}, which failed`;
        return settle(false);
      }
    }
    if (abort.signal.aborted) return settle(false);
    await this.options.imageReady?.(spec.image);
    if (abort.signal.aborted) return settle(false);
    await this.ensureContainer(r, config);
    if (spec.create_only) {
      status.state = "created";
      return settle(true);
    }
    const backoff = new Backoff(this.options.backoffBaseMs ?? 500, this.options.backoffMaxMs ?? 30_000);
    const crashes: number[] = [];
    while (!abort.signal.aborted) {
      status.state = "starting";
      await this.engine.start(spec.name);
      status.state = "running";
      if (!spec.oneshot) settle(true);
      this.log.info("service started", { service: spec.name, restarts: status.restarts });
      const code = await this.engine.wait(spec.name);
      status.lastExitCode = code;
      if (abort.signal.aborted) return;
      if (spec.oneshot && code === 0) {
        status.state = "completed";
        return settle(true);
      }
      const restart = spec.restart === "always" || (spec.restart === "on-failure" && code !== 0);
      if (!restart) {
        status.state = code === 0 ? "exited" : "failed";
        if (code !== 0) status.error = `exited with code ${code}`;
        return settle(!spec.oneshot);
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && crashes[0]! < now - (this.options.windowMs ?? 60_000)) crashes.shift();
      status.restarts++;
      if (crashes.length >= (this.options.maxRestarts ?? 5)) {
        status.state = "crash-loop";
        status.error = `${crashes.length} restarts within ${(this.options.windowMs ?? 60_000) / 1000} s`;
        this.log.warn("service crash-looping, holding off", { service: spec.name, code });
        // A oneshot that crash-loops will not complete soon: its dependents must not wait forever.
        if (spec.oneshot) settle(false);
        await sleep(this.options.cooldownMs ?? 300_000, abort.signal);
        crashes.length = 0;
        backoff.reset();
      } else {
        status.state = "backoff";
        await sleep(backoff.next(), abort.signal);
      }
    }
  }

  /** Reuses a container made from the same hash, else (re)creates it. */
  private async ensureContainer(r: Runner, config: CorralConfig): Promise<void> {
    const current = await this.engine.inspect(r.spec.name);
    if (current && current.hash === r.hash) return;
    if (current) await this.engine.remove(r.spec.name);
    await this.engine.create(this.optionsOf(r.spec, config));
  }
}
