import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";

/** Where engines live on the host: the image's own description, and engine files added later. */
export const enginePaths = {
  /** Written by the build: `{"version": "docker-20.10.24"}`, the engine the image's /usr holds. */
  builtin: "/usr/share/corral/engine.json",
  /** `docker-<version>.tar.gz` files (on the state partition when there is one), kept across boots. */
  store: "/var/lib/corral/engines",
} as const;

/** The image every engine but the built-in one runs from (`corral/os-engine:docker-26.1.5`). */
export const engineImageRepo = "corral/os-engine";

/** One User Docker engine CorralOS can run. */
export interface EngineInfo {
  /** `docker-<upstream version>`, as RancherOS named engines. */
  version: string;
  /** The System Docker image User Docker runs from. */
  image: string;
  /** The image's own engine (bound from the host's /usr), always there. */
  builtin: boolean;
  /** The file the image is loaded from (engines other than the built-in one). */
  file?: string;
}

/** What the image is built with when engine.json is missing (a tree run from source). */
const fallbackBuiltin = "docker-20.10.24";

/** `26.1.5`, `docker-26.1.5` -> `docker-26.1.5`; anything else is refused. */
export function normalizeEngineVersion(text: string): string {
  const v = text.trim().replace(/^docker-/, "");
  if (!/^[0-9]+\.[0-9]+(\.[0-9]+)?([.-][A-Za-z0-9]+)*$/.test(v))
    throw new AppError("InvalidOption", `'${text}' is not an engine version (like docker-26.1.5 or 26.1.5)`);
  return `docker-${v}`;
}

/** The built-in engine's version, from the build's engine.json. */
export function builtinEngineVersion(root: string): string {
  try {
    const v = (JSON.parse(readFileSync(join(root, enginePaths.builtin), "utf8")) as { version?: unknown })
      .version;
    if (typeof v === "string") return normalizeEngineVersion(v);
  } catch {}
  return fallbackBuiltin;
}

/** `docker-26.1.5.tar.gz` (or `.tar`) -> `docker-26.1.5`; other names are not engine files. */
export function engineOfFile(name: string): string | undefined {
  const m = /^(docker-[0-9][A-Za-z0-9.-]*?)\.tar(\.gz)?$/.exec(name);
  return m ? m[1] : undefined;
}

/** Every engine on this machine: the built-in one first, then the stored files by version. */
export function listEngines(root: string, builtinImage = "corral/os-docker:latest"): EngineInfo[] {
  const builtin = builtinEngineVersion(root);
  const out: EngineInfo[] = [{ version: builtin, image: builtinImage, builtin: true }];
  const dir = join(root, enginePaths.store);
  let names: string[] = [];
  try {
    names = existsSync(dir) ? readdirSync(dir).sort() : [];
  } catch {}
  for (const name of names) {
    const version = engineOfFile(name);
    if (!version || out.some((e) => e.version === version)) continue;
    out.push({
      version,
      image: `${engineImageRepo}:${version}`,
      builtin: false,
      file: join(enginePaths.store, name),
    });
  }
  return out.sort((a, b) => (a.builtin ? -1 : b.builtin ? 1 : compareVersions(a.version, b.version)));
}

/** Orders `docker-20.10.24` before `docker-26.1.5` (numeric parts compared as numbers). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^docker-/, "").split(/[.-]/);
  const pb = b.replace(/^docker-/, "").split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (d !== 0) return d;
  }
  return 0;
}

/** The engine `corral.docker.engine` (RancherOS: `rancher.docker.engine`) names, as written; undefined when unset. */
export function configuredEngine(config: CorralConfig): string | undefined {
  const v = (config.corral?.docker as Record<string, unknown> | undefined)?.engine;
  return typeof v === "string" && v.trim() !== "" && v !== "default" ? v : undefined;
}

/** Finds `version` among `engines`, or throws naming the ones there are. */
export function findEngine(engines: readonly EngineInfo[], version: string): EngineInfo {
  const want = normalizeEngineVersion(version);
  const found = engines.find((e) => e.version === want);
  if (!found)
    throw new AppError(
      "NotFound",
      `no engine ${want} on this machine (have: ${engines.map((e) => e.version).join(", ")}); add one with -f docker-<version>.tar.gz`,
    );
  return found;
}
