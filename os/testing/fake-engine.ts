import type Docker from "dockerode";
import type { ContainerState, Engine, ExecResult } from "../src/services/engine.ts";

interface Waiter {
  resolve(code: number): void;
  reject(error: Error): void;
}

interface FakeContainer {
  options: Docker.ContainerCreateOptions;
  running: boolean;
  exitCode: number;
  starts: number;
  waiters: Waiter[];
}

/**
 * An in-memory System Docker for supervisor tests. `exitOnStart` makes a service exit on its own
 * (one-shots, crashing services); `crash` kills a running one from outside; `failStart` makes the
 * next starts of a service throw; `die` takes the whole engine away (every call fails, every wait
 * breaks, every container stops) until `revive`, and `vanish` does the same with waits left hanging.
 */
export class FakeEngine implements Engine {
  readonly containers = new Map<string, FakeContainer>();
  readonly events: string[] = [];
  /** Exit code a container exits with right after each start, per name (undefined: keeps running). */
  readonly exitOnStart = new Map<string, number>();
  /** How many of the next starts of a container throw, per name. */
  readonly failStart = new Map<string, number>();
  failCreate = new Set<string>();
  /** Exit code of `exec` per container (an Error is thrown instead); 0 when unset. */
  readonly execResults = new Map<string, number | Error>();
  /** Every exec, as `name: cmd...`. */
  readonly execs: string[] = [];
  private down = false;

  async inspect(name: string): Promise<ContainerState | null> {
    this.check();
    const c = this.containers.get(name);
    return c ? { running: c.running, hash: c.options.Labels?.["io.corral.os.hash"] } : null;
  }

  async create(options: Docker.ContainerCreateOptions): Promise<void> {
    this.check();
    const name = options.name!;
    if (this.failCreate.has(name)) throw new Error(`No such image: ${options.Image}`);
    this.events.push(`create ${name}`);
    this.containers.set(name, { options, running: false, exitCode: 0, starts: 0, waiters: [] });
  }

  async start(name: string): Promise<void> {
    this.check();
    const c = this.get(name);
    const failures = this.failStart.get(name) ?? 0;
    if (failures > 0) {
      this.failStart.set(name, failures - 1);
      this.events.push(`start ${name} failed`);
      throw new Error(`cannot start container ${name}: transient engine error`);
    }
    // Docker answers 304 for a container already running, and the real engine ignores it.
    if (c.running) return;
    this.events.push(`start ${name}`);
    c.running = true;
    c.starts++;
    const code = this.exitOnStart.get(name);
    if (code !== undefined) queueMicrotask(() => this.crash(name, code));
  }

  wait(name: string, signal?: AbortSignal): Promise<number> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const c = this.get(name);
    if (!c.running) return Promise.resolve(c.exitCode);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      c.waiters.push(waiter);
      signal?.addEventListener("abort", () => {
        c.waiters = c.waiters.filter((w) => w !== waiter);
        reject(new Error("wait aborted"));
      });
    });
  }

  /**
   * The engine's process is killed outright: like `die`, but open waits hang instead of failing
   * (a killed dockerd may never close the connection of a pending request).
   */
  vanish(): void {
    this.down = true;
    this.events.push("engine vanished");
    for (const c of this.containers.values()) {
      c.running = false;
      c.exitCode = 137;
    }
  }

  async exec(name: string, cmd: readonly string[]): Promise<ExecResult> {
    this.check();
    const c = this.get(name);
    if (!c.running) throw new Error(`container ${name} is not running`);
    this.execs.push(`${name}: ${cmd.join(" ")}`);
    const result = this.execResults.get(name) ?? 0;
    if (result instanceof Error) throw result;
    return { code: result, output: result === 0 ? "" : "not yet\n" };
  }

  /** Makes a running container exit with `code`. */
  crash(name: string, code: number): void {
    const c = this.get(name);
    if (!c.running) return;
    c.running = false;
    c.exitCode = code;
    for (const w of c.waiters.splice(0)) w.resolve(code);
  }

  /**
   * The engine's process dies: open waits fail as a dropped connection does, containers stop (their
   * engine took them down), and every call fails until `revive`.
   */
  die(): void {
    this.down = true;
    this.events.push("engine died");
    for (const c of this.containers.values()) {
      c.running = false;
      c.exitCode = 137;
      for (const w of c.waiters.splice(0)) w.reject(new Error("socket hang up"));
    }
  }

  /** The engine answers again, with the containers it had (all stopped). */
  revive(): void {
    this.down = false;
    this.events.push("engine back");
  }

  async stop(name: string): Promise<void> {
    this.check();
    if (!this.containers.has(name)) return;
    this.events.push(`stop ${name}`);
    this.crash(name, 143);
  }

  async remove(name: string): Promise<void> {
    this.check();
    if (this.containers.delete(name)) this.events.push(`remove ${name}`);
  }

  async listServiceContainers(): Promise<string[]> {
    this.check();
    return [...this.containers.keys()];
  }

  /** How often a container was started. */
  starts(name: string): number {
    return this.containers.get(name)?.starts ?? 0;
  }

  private check(): void {
    if (this.down) throw new Error("connect ENOENT /var/run/system-docker.sock");
  }

  private get(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new Error(`No such container: ${name}`);
    return c;
  }
}
