import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ServiceSpec } from "../services/service-schema.ts";
import type { EngineInfo } from "./catalog.ts";

/** The system service that runs User Docker. */
export const userDockerService = "user-docker";

/** Paths inside User Docker's container where the built-in engine's binaries are bound from /usr. */
const engineBinaries = new Set([
  "/usr/sbin/dockerd",
  "/usr/bin/containerd",
  "/usr/bin/containerd-shim-runc-v2",
  "/usr/sbin/runc",
  "/usr/sbin/docker-proxy",
  "/usr/bin/docker-init",
]);

/**
 * The services with User Docker on `engine`: the built-in engine as service.yml says (binaries
 * bound from the host), any other from its own image, which carries its binaries, so their binds
 * are dropped. Everything else (data root, sockets, TLS folder, environment) stays, so a switch
 * keeps /var/lib/user-docker and the configuration.
 */
export function withEngine(specs: readonly ServiceSpec[], engine: EngineInfo): ServiceSpec[] {
  if (engine.builtin) return [...specs];
  return specs.map((s) => {
    if (s.name !== userDockerService) return s;
    const keep = (v: string) => !engineBinaries.has(v.split(":")[1] ?? "");
    return {
      ...s,
      image: engine.image,
      volumes: s.volumes?.filter(keep),
      binds: s.binds?.filter(keep),
    };
  });
}

/** Storage drivers each engine line can open: Docker 24 removed aufs and overlay, 25 devicemapper. */
export function driversOf(version: string): string[] {
  const major = Number(/^docker-(\d+)/.exec(version)?.[1] ?? 0);
  const all = ["overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs"];
  if (major < 25) all.push("devicemapper");
  if (major < 24) all.push("overlay", "aufs");
  return all;
}

/** Storage drivers whose layers a data root holds (`image/<driver>` with content, as dockerd keeps them). */
export function driversInUse(dataRoot: string): string[] {
  const dir = join(dataRoot, "image");
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && readdirSync(join(dir, d.name)).length > 0)
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Why `version` cannot take over `dataRoot`, or undefined when it can: a driver the data root's
 * images are stored with, or the one `corral.docker.storage_driver` asks for, that it cannot open.
 */
export function storageProblem(version: string, dataRoot: string, configured?: string): string | undefined {
  const can = driversOf(version);
  if (configured && !can.includes(configured))
    return `${version} has no storage driver '${configured}' (corral.docker.storage_driver); it has ${can.join(", ")}`;
  const stuck = driversInUse(dataRoot).filter((d) => !can.includes(d));
  if (stuck.length > 0)
    return `${version} cannot open the images in ${dataRoot}, stored with ${stuck.join(", ")}; it has ${can.join(", ")}`;
  return undefined;
}
