import type Docker from "dockerode";
import type { ContainerState, Engine } from "../src/services/engine.ts";

interface FakeContainer {
  options: Docker.ContainerCreateOptions;
  running: boolean;
  exitCode: number;
  starts: number;
  waiters: ((code: number) => void)[];
}

/**
 * An in-memory System Docker for supervisor tests. `exitOnStart` makes a service exit on its own
 * (one-shots, crashing services); `crash` kills a running one from outside.
 */
export class FakeEngine implements Engine {
  readonly containers = new Map<string, FakeContainer>();
  readonly events: string[] = [];
  /** Exit code a container exits with right after each start, per name (undefined: keeps running). */
  readonly exitOnStart = new Map<string, number>();
  failCreate = new Set<string>();

  async inspect(name: string): Promise<ContainerState | null> {
    const c = this.containers.get(name);
    return c
      ? { id: name, running: c.running, exitCode: c.exitCode, hash: c.options.Labels?.["io.corral.os.hash"] }
      : null;
  }

  async create(options: Docker.ContainerCreateOptions): Promise<void> {
    const name = options.name!;
    if (this.failCreate.has(name)) throw new Error(`No such image: ${options.Image}`);
    this.events.push(`create ${name}`);
    this.containers.set(name, { options, running: false, exitCode: 0, starts: 0, waiters: [] });
  }

  async start(name: string): Promise<void> {
    const c = this.get(name);
    this.events.push(`start ${name}`);
    c.running = true;
    c.starts++;
    const code = this.exitOnStart.get(name);
    if (code !== undefined) queueMicrotask(() => this.crash(name, code));
  }

  wait(name: string): Promise<number> {
    const c = this.get(name);
    if (!c.running) return Promise.resolve(c.exitCode);
    return new Promise((resolve) => c.waiters.push(resolve));
  }

  /** Makes a running container exit with `code`. */
  crash(name: string, code: number): void {
    const c = this.get(name);
    if (!c.running) return;
    c.running = false;
    c.exitCode = code;
    for (const w of c.waiters.splice(0)) w(code);
  }

  async stop(name: string): Promise<void> {
    if (!this.containers.has(name)) return;
    this.events.push(`stop ${name}`);
    this.crash(name, 143);
  }

  async remove(name: string): Promise<void> {
    if (this.containers.delete(name)) this.events.push(`remove ${name}`);
  }

  async listServiceContainers(): Promise<string[]> {
    return [...this.containers.keys()];
  }

  /** How often a container was started. */
  starts(name: string): number {
    return this.containers.get(name)?.starts ?? 0;
  }

  private get(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new Error(`No such container: ${name}`);
    return c;
  }
}
