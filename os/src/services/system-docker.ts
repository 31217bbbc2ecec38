import { createReadStream, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AppError, createLogger, sleep } from "@corral/lib";
import Docker from "dockerode";
import { imagesInTar } from "./image-tar.ts";

/** Where System Docker lives; paths are absolute on the booted OS, temp dirs in tests. */
export interface SystemDockerPaths {
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logFile: string;
}

/** The defaults of a booted CorralOS (RancherOS names). */
export const systemDockerPaths: SystemDockerPaths = {
  socket: "/var/run/system-docker.sock",
  dataRoot: "/var/lib/system-docker",
  execRoot: "/var/run/system-docker",
  pidfile: "/var/run/system-docker.pid",
  logFile: "/var/log/system-docker.log",
};

/** The dockerd arguments of System Docker: no bridge and no iptables, system services use host networking. */
export function systemDockerArgs(p: SystemDockerPaths, extra: string[] = []): string[] {
  return [
    "-H",
    `unix://${p.socket}`,
    "--data-root",
    p.dataRoot,
    "--exec-root",
    p.execRoot,
    "--pidfile",
    p.pidfile,
    "--bridge",
    "none",
    "--iptables=false",
    "--ip6tables=false",
    ...extra,
  ];
}

const log = createLogger("system-docker");

/** A running System Docker. Bun spawned it, so Bun reaps it and settles `exited`. */
export interface SystemDocker {
  docker: Docker;
  process: ReturnType<typeof Bun.spawn>;
  /** The exit code, once dockerd is gone (PID 1's keeper restarts it). */
  exited: Promise<number>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Removes the pidfile of System Docker's own containerd when the process it names is gone or a
 * zombie. dockerd reuses a containerd whose pid is alive, and a zombie looks alive: after dockerd
 * was killed, its containerd (killed with it) stays a zombie until PID 1 reaps it, and a dockerd
 * restarted meanwhile waited 15 s for that containerd's socket, then gave up. True when removed.
 */
export function removeStaleContainerdPid(execRoot: string, proc = "/proc"): boolean {
  const file = join(execRoot, "containerd", "containerd.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8").trim());
  } catch {
    return false;
  }
  let state: string | undefined;
  try {
    const stat = readFileSync(join(proc, String(pid), "stat"), "utf8");
    state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    // No such process.
  }
  if (Number.isInteger(pid) && pid > 0 && state !== undefined && state !== "Z") return false;
  rmSync(file, { force: true });
  return true;
}

/** Starts dockerd and resolves once it answers a ping; fails (with the log's tail path) after `timeoutMs`. */
export async function startSystemDocker(
  p: SystemDockerPaths = systemDockerPaths,
  options: {
    dockerd?: string;
    extraArgs?: string[];
    timeoutMs?: number;
    env?: Record<string, string>;
    /** A command to run dockerd under (tests: `unshare --net`, see the integration test). */
    prefix?: string[];
  } = {},
): Promise<SystemDocker> {
  for (const dir of [p.dataRoot, p.execRoot, dirname(p.socket), dirname(p.logFile)])
    mkdirSync(dir, { recursive: true });
  if (removeStaleContainerdPid(p.execRoot)) log.info("removed the pidfile of a containerd that is gone");
  const out = openSync(p.logFile, "a");
  const proc = Bun.spawn(
    [...(options.prefix ?? []), options.dockerd ?? "dockerd", ...systemDockerArgs(p, options.extraArgs)],
    {
      stdout: out,
      stderr: out,
      stdin: "ignore",
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        // The root filesystem is the initramfs, which pivot_root cannot leave: /init sets
        // DOCKER_RAMDISK so runc uses chroot instead, and dockerd must see it.
        ...(process.env.DOCKER_RAMDISK ? { DOCKER_RAMDISK: process.env.DOCKER_RAMDISK } : {}),
        // After boot System Docker only watches a handful of containers, but loading the images
        // grew its heap; a lower GC target (inherited by its containerd) keeps less of it resident.
        GOGC: "50",
        ...options.env,
      },
    },
  );
  const docker = new Docker({ socketPath: p.socket });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (proc.exitCode !== null)
      throw new AppError("ServerError", `dockerd exited with code ${proc.exitCode}; see ${p.logFile}`);
    try {
      await docker.ping();
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new AppError("ServerError", `System Docker did not answer on ${p.socket}; see ${p.logFile}`);
      }
      await sleep(50);
    }
  }
  const stop = async (timeoutMs = 15_000) => {
    if (proc.exitCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    await proc.exited;
    clearTimeout(timer);
  };
  return { docker, process: proc, exited: proc.exited, stop };
}

/** In which order ImageLoader loads tarballs, and what the less urgent ones wait for. */
export interface ImageLoadPlan {
  /** Images in the order services need them; tarballs holding none of them come last, by name. */
  order?: readonly string[];
  /** Images loaded before any other; the rest then waits for `restAfter`. */
  urgent?: readonly string[];
  /** Settles when the rest may load (User Docker answering), so they do not slow what is urgent. */
  restAfter?: Promise<unknown>;
  /**
   * Images loaded only once a service asks for them (`ready`): the consoles not chosen, so a large
   * console image costs no load time nor System Docker space until it is switched to.
   */
  lazy?: readonly string[];
}

/**
 * Loads the shipped image tarballs of `dir` into System Docker in the background, one at a time, in
 * the order of `plan`. A tarball whose images are all present already is skipped (a state
 * partition keeps them across boots, and loading is the slow part). Services wait on `ready(image)`
 * for their own image only, so each starts as soon as its image is in, instead of after all of them.
 */
export class ImageLoader {
  /** Settles when every tarball was tried: the files actually loaded, or the first failure. */
  readonly done: Promise<string[]>;
  private readonly byTag = new Map<string, Promise<void>>();
  /** Tarballs of lazy images, by tag, not asked for yet. */
  private readonly onDemand = new Map<string, { tags: string[]; load: () => Promise<void> }>();
  private previous: Promise<unknown>;

  constructor(docker: Docker, dir: string, plan: ImageLoadPlan = {}) {
    let files: string[] = [];
    try {
      files = readdirSync(dir)
        // Docker's load takes a gzipped tarball as it is.
        .filter((f) => f.endsWith(".tar") || f.endsWith(".tar.gz"))
        .sort();
    } catch {}
    const wanted = [...(plan.urgent ?? []), ...(plan.order ?? [])].map(normalizeTag);
    const urgent = new Set((plan.urgent ?? []).map(normalizeTag));
    const rank = (tags: string[]) => {
      const i = wanted.findIndex((img) => tags.includes(img));
      return i < 0 ? wanted.length : i;
    };
    const tars = files
      .map((file) => ({ file, ...imagesInTar(join(dir, file)) }))
      .map((t) => ({ ...t, rank: rank(t.tags), urgent: t.tags.some((tag) => urgent.has(tag)) }))
      .sort((a, b) => a.rank - b.rank);
    const loaded: string[] = [];
    const present = docker.listImages({ all: true }).then((l) => new Set(l.map((i) => i.Id)));
    present.catch(() => {});
    // One load at a time, each after the one before even when that one failed: a bad tarball
    // blocks only its own images.
    this.previous = present.catch(() => {});
    const steps: Promise<void>[] = [];
    const gate = plan.restAfter?.catch(() => {});
    const lazy = new Set((plan.lazy ?? []).map(normalizeTag));
    for (const tar of tars) {
      const load = async () => {
        const have = await present;
        if (tar.ids.length > 0 && tar.ids.every((id) => have.has(id))) return;
        if (!tar.urgent) await gate;
        await loadTar(docker, join(dir, tar.file));
        log.info("image loaded", { file: tar.file });
        loaded.push(tar.file);
      };
      if (tar.tags.length > 0 && tar.tags.every((t) => lazy.has(t))) {
        for (const tag of tar.tags) this.onDemand.set(tag, { tags: tar.tags, load });
        continue;
      }
      steps.push(this.enqueue(tar.tags, load));
    }
    this.done = Promise.all(steps).then(() => loaded);
    this.done.catch(() => {});
  }

  /**
   * Resolves once `image` is loaded, queueing a lazy image's tarball at the first ask; at once for
   * an image no tarball holds (the engine has it, or create says so).
   */
  ready(image: string): Promise<void> {
    const tag = normalizeTag(image);
    const wanted = this.onDemand.get(tag);
    if (wanted) {
      for (const t of wanted.tags) this.onDemand.delete(t);
      this.enqueue(wanted.tags, wanted.load);
    }
    return this.byTag.get(tag) ?? Promise.resolve();
  }

  /** Runs `load` after the loads queued before it (one at a time), as the step of `tags`. */
  private enqueue(tags: readonly string[], load: () => Promise<void>): Promise<void> {
    const step = this.previous.then(load);
    this.previous = step.catch(() => {}); // observed through ready() or done: never unhandled in PID 1
    for (const tag of tags) this.byTag.set(tag, step);
    return step;
  }
}

/** `corral/os-base` -> `corral/os-base:latest`, as `docker save` writes RepoTags. */
function normalizeTag(image: string): string {
  return /:[^/]+$/.test(image) ? image : `${image}:latest`;
}

/**
 * Loads a `docker save` tarball (plain or gzipped: Docker's load takes both) into an engine; a
 * refusal in the load's output is an error naming the file.
 */
export async function loadTar(docker: Docker, path: string): Promise<void> {
  const stream = await docker.loadImage(createReadStream(path), { quiet: true });
  const output = await new Promise<string>((resolve, reject) => {
    let text = "";
    stream.on("data", (d: Buffer) => {
      text += d.toString("utf8");
    });
    stream.on("end", () => resolve(text));
    stream.on("error", reject);
  });
  if (/"error"/.test(output))
    throw new AppError("ServerError", `loading ${basename(path)} failed: ${output.trim()}`);
}
