import type { ContainerObservation, InstanceSpec } from "@corral/api";
import { AppError } from "@corral/lib";
import type { CheckTarget, DockerDriver, EngineEvent, ExecHandle, ExecOptions } from "../src/driver.ts";
import type { TarEntry } from "../src/lb/tar.ts";

/** One container of the fake engine. */
interface FakeContainer {
  observation: ContainerObservation;
  spec: InstanceSpec;
  log: string;
}

/**
 * An in-memory DockerDriver for tests of event handling and sessions. Containers, images and calls
 * are public so tests can set up and check state. `exec` runs a tiny shell: `echo ...` prints its
 * arguments, `cat` echoes stdin until closed, `exit N` exits with N, `fail` breaks its stream.
 * A container whose log is "FAIL" breaks its log stream after sending it.
 */
export class FakeDriver implements DockerDriver {
  /** Containers by Docker id. */
  readonly containers = new Map<string, FakeContainer>();
  /** Images present locally. */
  readonly images = new Set<string>(["corral/busybox:latest"]);
  /** Every call made, as "method arg". */
  readonly calls: string[] = [];
  /** Listeners of `events`, to push engine events from a test. */
  readonly listeners = new Set<(event: EngineEvent) => void>();
  /** Files written by `writeFiles`, by Docker id, then by absolute path. */
  readonly files = new Map<string, Map<string, string>>();
  /** The terminal sizes `cat` execs were given, in order. */
  readonly resizes: { dockerId: string; cols: number; rows: number }[] = [];
  /** Answers execs the tiny shell does not know (a test plays the program); null falls through. */
  execHook: ((dockerId: string, command: string[]) => { code: number; output: string } | null) | null = null;
  private next = 1;
  // Start times are unique, so a restart within one millisecond still reads as a new run.
  private lastStart = 0;

  async version() {
    return "99.0.0-fake";
  }

  async list() {
    return [...this.containers.values()].map((c) => ({ ...c.observation }));
  }

  async find(ref: { containerId: string; dockerId?: string | null }) {
    this.calls.push(`find ${ref.containerId}`);
    const byId = ref.dockerId ? this.containers.get(ref.dockerId) : undefined;
    if (byId?.observation.containerId === ref.containerId) return { ...byId.observation };
    for (const c of this.containers.values()) {
      if (c.observation.containerId === ref.containerId) return { ...c.observation };
    }
    return null;
  }

  async hasImage(image: string) {
    return this.images.has(image.includes(":") ? image : `${image}:latest`);
  }

  async pullImage(image: string, onProgress: (message: string) => void) {
    this.calls.push(`pull ${image}`);
    if (image.startsWith("missing/"))
      throw new AppError("InvalidReference", `pull access denied for ${image}`);
    onProgress(`${image}: Pulling fs layer`);
    this.images.add(image.includes(":") ? image : `${image}:latest`);
  }

  async create(spec: InstanceSpec, _hostId: string) {
    this.calls.push(`create ${spec.containerId}`);
    for (const c of this.containers.values()) {
      if (c.observation.name === spec.name) throw new AppError("InvalidState", `name ${spec.name} is in use`);
    }
    const dockerId = `d${this.next++}`.padEnd(12, "0");
    const observation: ContainerObservation = {
      containerId: spec.containerId,
      dockerId,
      name: spec.name,
      state: "created",
      ports: [],
    };
    this.containers.set(dockerId, { observation, spec, log: "" });
    return { ...observation };
  }

  private get(dockerId: string): FakeContainer {
    const c = this.containers.get(dockerId);
    if (!c) throw new AppError("NotFound", `no such container: ${dockerId}`);
    return c;
  }

  async start(dockerId: string) {
    this.calls.push(`start ${dockerId}`);
    const c = this.get(dockerId);
    this.lastStart = Math.max(Date.now(), this.lastStart + 1);
    c.observation = {
      ...c.observation,
      state: "running",
      ipAddress: "172.17.0.9",
      startedAt: new Date(this.lastStart).toISOString(),
    };
    delete c.observation.exitCode;
  }

  async stop(dockerId: string) {
    this.calls.push(`stop ${dockerId}`);
    const c = this.get(dockerId);
    c.observation = { ...c.observation, state: "exited", exitCode: 0 };
    delete c.observation.ipAddress;
  }

  async restart(dockerId: string) {
    this.calls.push(`restart ${dockerId}`);
    await this.start(dockerId);
  }

  async remove(dockerId: string) {
    this.calls.push(`remove ${dockerId}`);
    this.containers.delete(dockerId);
  }

  /** Named volumes the fake engine holds, by name. */
  readonly volumes = new Map<string, { driver: string; driverOpts: Record<string, string> }>();

  async createVolume(name: string, driver: string, driverOpts: Record<string, string>) {
    this.calls.push(`createVolume ${name}`);
    if (!this.volumes.has(name)) this.volumes.set(name, { driver, driverOpts });
  }

  async removeVolume(name: string) {
    this.calls.push(`removeVolume ${name}`);
    this.volumes.delete(name);
  }

  async inspect(dockerId: string) {
    return { ...this.get(dockerId).observation };
  }

  async stats(dockerId: string) {
    this.get(dockerId);
    return {
      cpuPercent: 1.5,
      memoryUsage: 1024,
      memoryLimit: 2048,
      networkRxBytes: 1,
      networkTxBytes: 2,
      blockReadBytes: 3,
      blockWriteBytes: 4,
      pids: 1,
    };
  }

  async logs(
    dockerId: string,
    options: { follow: boolean },
    onData: (chunk: Uint8Array) => void,
    signal: AbortSignal,
  ) {
    const c = this.get(dockerId);
    onData(new TextEncoder().encode(c.log));
    if (c.log === "FAIL") throw new AppError("ServerError", "log stream broke");
    if (!options.follow || signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  async writeFiles(dockerId: string, dir: string, files: TarEntry[]) {
    this.calls.push(`writeFiles ${dockerId} ${dir}`);
    this.get(dockerId);
    const written = this.files.get(dockerId) ?? new Map<string, string>();
    this.files.set(dockerId, written);
    for (const f of files)
      written.set(
        `${dir}/${f.path}`,
        typeof f.content === "string" ? f.content : new TextDecoder().decode(f.content),
      );
  }

  async exec(
    dockerId: string,
    options: ExecOptions,
    onData: (chunk: Uint8Array) => void,
  ): Promise<ExecHandle> {
    this.get(dockerId);
    const [program, ...args] = options.command;
    const encode = (text: string) => new TextEncoder().encode(text);
    const hooked = this.execHook?.(dockerId, options.command);
    if (hooked) {
      onData(encode(hooked.output));
      return { write() {}, resize() {}, close() {}, done: Promise.resolve(hooked.code) };
    }
    if (program === "echo") {
      onData(encode(`${args.join(" ")}\n`));
      return { write() {}, resize() {}, close() {}, done: Promise.resolve(0) };
    }
    if (program === "exit")
      return { write() {}, resize() {}, close() {}, done: Promise.resolve(Number(args[0])) };
    if (program === "fail") {
      const done = new Promise<number | undefined>((_, reject) =>
        setTimeout(() => reject(new AppError("ServerError", "exec stream broke")), 1),
      );
      return { write() {}, resize() {}, close() {}, done };
    }
    if (program === "cat") {
      const { promise, resolve } = Promise.withResolvers<number | undefined>();
      return {
        write: (data) => onData(data),
        resize: (size) => this.resizes.push({ dockerId, ...size }),
        close: () => resolve(0),
        done: promise,
      };
    }
    throw new AppError("InvalidState", `fake exec cannot run ${program}`);
  }

  async events(onEvent: (event: EngineEvent) => void, signal: AbortSignal) {
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    this.listeners.delete(onEvent);
  }

  async checkTargets() {
    const targets = await Promise.all([...this.containers.keys()].map((id) => this.checkTarget(id)));
    return targets.filter((t): t is CheckTarget => t !== null);
  }

  async checkTarget(dockerId: string) {
    const c = this.containers.get(dockerId);
    if (!c?.spec.healthCheck) return null;
    const { containerId, state, startedAt, ipAddress } = c.observation;
    const target: CheckTarget = {
      containerId,
      dockerId,
      running: state === "running",
      healthCheck: JSON.stringify(c.spec.healthCheck),
    };
    if (startedAt) target.startedAt = startedAt;
    if (ipAddress) target.address = ipAddress;
    return target;
  }

  /** Sends an engine event to every follower, as Docker would. */
  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
