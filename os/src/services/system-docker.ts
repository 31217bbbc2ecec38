import { createReadStream, mkdirSync, openSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { AppError, createLogger, sleep } from "@corral/lib";
import Docker from "dockerode";
import { imageIdsInTar } from "./image-tar.ts";

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

/** A running System Docker. Bun spawned it, so Bun reaps it. */
export interface SystemDocker {
  docker: Docker;
  process: ReturnType<typeof Bun.spawn>;
  stop(timeoutMs?: number): Promise<void>;
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
  return { docker, process: proc, stop };
}

/**
 * Loads every `*.tar` of `dir` into System Docker, skipping tarballs whose images are all present
 * already (by id: a state partition keeps them across boots, and loading is the slow part).
 * Returns the files actually loaded.
 */
export async function loadImages(docker: Docker, dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".tar"))
      .sort();
  } catch {
    return [];
  }
  const present = new Set((await docker.listImages({ all: true })).map((i) => i.Id));
  const loaded: string[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const ids = imageIdsInTar(path);
    if (ids.length > 0 && ids.every((id) => present.has(id))) continue;
    const stream = await docker.loadImage(createReadStream(path), { quiet: true });
    const output = await new Promise<string>((resolve, reject) => {
      let text = "";
      stream.on("data", (d: Buffer) => {
        text += d.toString("utf8");
      });
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
    });
    if (/"error"/.test(output)) throw new AppError("ServerError", `loading ${file} failed: ${output.trim()}`);
    log.info("image loaded", { file });
    loaded.push(file);
  }
  return loaded;
}
