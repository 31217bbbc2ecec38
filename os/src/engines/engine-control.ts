import { copyFileSync, mkdirSync, realpathSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { AppError } from "@corral/lib";
import type Docker from "dockerode";
import type { CorralConfig } from "../config/config-schema.ts";
import { setUserConfigKey } from "../config/user-config.ts";
import { loadTar } from "../services/system-docker.ts";
import {
  configuredEngine,
  type EngineInfo,
  engineOfFile,
  enginePaths,
  findEngine,
  listEngines,
} from "./catalog.ts";
import { storageProblem } from "./engine-spec.ts";

/** User Docker's data root on the host, kept by every engine. */
export const userDockerData = "/var/lib/user-docker";

/** What `corral engine list` shows. */
export interface EngineStatus {
  /** The engine User Docker runs on now. */
  current: string;
  /** The engine the next boot runs (corral.docker.engine, or the built-in one). */
  enabled: string;
  engines: { version: string; builtin: boolean; file?: string }[];
}

/** A `corral engine switch|enable` request. */
export interface EngineRequest {
  version: string;
  /** An engine file on the host (under /home or /var/lib/corral) to add first. */
  file?: string;
}

/** The folders the console shares with the host: files PID 1 takes from the console user. */
const sharedRoots = ["/home/", "/var/lib/corral/"];

/**
 * Copies an engine file (`docker-<version>.tar.gz`) into the engine store, so it is there at every
 * boot; returns its version. Refuses files outside the shared folders and names that are not an
 * engine's.
 */
export function addEngineFile(root: string, file: string): string {
  const version = engineOfFile(basename(file));
  if (!version)
    throw new AppError("InvalidOption", `${file}: an engine file is named docker-<version>.tar.gz`);
  let real: string;
  try {
    real = realpathSync(join(root, file));
  } catch {
    throw new AppError("NotFound", `${file}: no such file`);
  }
  const rel = `/${real.slice(join(root, "/").length)}`;
  if (!sharedRoots.some((r) => rel.startsWith(r)))
    throw new AppError("InvalidOption", `${file}: engine files are taken from /home or /var/lib/corral`);
  const store = join(root, enginePaths.store);
  const dest = join(store, basename(file));
  if (real !== dest) {
    mkdirSync(store, { recursive: true, mode: 0o700 });
    copyFileSync(real, `${dest}.tmp`);
    renameSync(`${dest}.tmp`, dest);
  }
  return version;
}

/** True when System Docker has `image`. */
async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure System Docker has the engine's image, loading its file when not (the first time, or
 * every boot when System Docker keeps its images in RAM). Checks the file held that engine.
 */
export async function loadEngineImage(docker: Docker, root: string, engine: EngineInfo): Promise<void> {
  if (engine.builtin || (await hasImage(docker, engine.image))) return;
  if (!engine.file) throw new AppError("NotFound", `no file for engine ${engine.version}`);
  await loadTar(docker, join(root, engine.file));
  if (!(await hasImage(docker, engine.image)))
    throw new AppError("InvalidOption", `${engine.file} does not hold the image ${engine.image}`);
}

/** What PID 1 gives the engine commands. */
export interface EngineHost {
  root: string;
  config(): CorralConfig;
  /** System Docker, when it runs. */
  docker(): Docker | undefined;
  /** The engine User Docker runs on now (chosen at boot). */
  current(): EngineInfo;
  /** Makes `engine` the running one and reconciles, which recreates User Docker on it. */
  run(engine: EngineInfo): Promise<void>;
}

/** `corral engine list`. */
export function engineStatus(host: EngineHost): EngineStatus {
  const engines = listEngines(host.root);
  const want = configuredEngine(host.config());
  let enabled = engines[0]!.version;
  if (want) {
    try {
      enabled = findEngine(engines, want).version;
    } catch {
      enabled = want;
    }
  }
  return {
    current: host.current().version,
    enabled,
    engines: engines.map(({ version, builtin, file }) => ({ version, builtin, file })),
  };
}

/**
 * `corral engine switch` (now: true) and `enable` (next boot): adds the file if given, checks the
 * engine can take over User Docker's data root, saves corral.docker.engine, and for a switch loads
 * its image and recreates User Docker on it. Containers come back as their restart policy says.
 */
export async function chooseEngine(host: EngineHost, req: EngineRequest, now: boolean): Promise<EngineInfo> {
  if (req.file) addEngineFile(host.root, req.file);
  const engine = findEngine(listEngines(host.root), req.version);
  const driver = (host.config().corral?.docker as Record<string, unknown> | undefined)?.storage_driver;
  const problem = storageProblem(
    engine.version,
    join(host.root, userDockerData),
    typeof driver === "string" ? driver : undefined,
  );
  if (problem) throw new AppError("InvalidOption", problem);
  if (now) {
    const docker = host.docker();
    if (!docker) throw new AppError("ServerError", "System Docker is not running");
    await loadEngineImage(docker, host.root, engine);
  }
  setUserConfigKey(host.root, "corral.docker.engine", engine.version);
  if (now && engine.version !== host.current().version) await host.run(engine);
  return engine;
}

/**
 * The engine a boot runs: corral.docker.engine when it is on this machine, its image loads and it
 * can open the data root; otherwise the built-in one, with the reason in `warn`, so a bad choice
 * never leaves the machine without User Docker.
 */
export async function bootEngine(
  root: string,
  config: CorralConfig,
  docker: Docker | undefined,
  warn: (message: string) => void,
): Promise<EngineInfo> {
  const engines = listEngines(root);
  const want = configuredEngine(config);
  if (!want) return engines[0]!;
  try {
    const engine = findEngine(engines, want);
    const problem = storageProblem(engine.version, join(root, userDockerData));
    if (problem) throw new Error(problem);
    if (docker) await loadEngineImage(docker, root, engine);
    return engine;
  } catch (e) {
    warn(`engine ${want}: ${e instanceof Error ? e.message : String(e)}; running ${engines[0]!.version}`);
    return engines[0]!;
  }
}
