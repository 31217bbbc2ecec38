import { readFileSync } from "node:fs";
import { chmod, chown, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecretFile } from "@corral/api";
import { AppError, run } from "@corral/lib";

/** Where secret folders live unless `CORRAL_SECRETS_DIR` says otherwise. */
export const defaultSecretsRoot = "/run/corral/secrets";

/** The filesystem type of the mount holding `path` (longest mount point that contains it). */
function filesystemOf(path: string): string | null {
  let best: { point: string; type: string } | null = null;
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const [, point, type] = line.split(" ");
    if (!point || !type) continue;
    const inside = path === point || path.startsWith(point.endsWith("/") ? point : `${point}/`);
    if (inside && (!best || point.length > best.point.length)) best = { point, type };
  }
  return best?.type ?? null;
}

/**
 * The host side of secrets: one folder per container under a tmpfs the agent mounts (mode 0700,
 * root only), holding that container's secret files, bind-mounted read-only at /run/secrets. The
 * values so never touch a disk, never appear in the container's env or `docker inspect` (which shows
 * only the folder's path), and go when the container is removed. The folder must be on the engine's
 * own filesystem: the agent runs beside its dockerd (a CorralOS host, a test host).
 */
export class SecretFolders {
  private ready: Promise<void> | null = null;

  constructor(readonly root: string = process.env.CORRAL_SECRETS_DIR || defaultSecretsRoot) {}

  /** Mounts the tmpfs once; refuses to hold secrets anywhere that is not a tmpfs. */
  private ensureRoot(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      if (filesystemOf(this.root) !== "tmpfs") {
        await run("mount", [
          "-t",
          "tmpfs",
          "-o",
          "mode=0700,size=64m,nosuid,nodev,noexec",
          "tmpfs",
          this.root,
        ]).catch((e) => {
          this.ready = null;
          throw new AppError("ServerError", `secrets need a tmpfs at ${this.root}: ${(e as Error).message}`);
        });
      }
      await chmod(this.root, 0o700);
    })();
    return this.ready;
  }

  /** The folder of one container's secrets on the host. */
  folderOf(containerId: string): string {
    if (!/^[a-zA-Z0-9]+$/.test(containerId)) throw new AppError("InvalidFormat", "bad container id");
    return join(this.root, containerId);
  }

  /**
   * Writes a container's secret files afresh (a retried create gets the same files) and returns the
   * folder to bind at /run/secrets.
   */
  async write(containerId: string, files: SecretFile[]): Promise<string> {
    await this.ensureRoot();
    const dir = this.folderOf(containerId);
    await rm(dir, { recursive: true, force: true });
    // Readable inside the container by the users the files are for; the root above stays 0700.
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    for (const f of files) {
      const path = join(dir, f.target);
      await writeFile(path, Buffer.from(f.value, "base64"), { mode: 0o600 });
      await chown(path, f.uid, f.gid);
      await chmod(path, f.mode);
    }
    return dir;
  }

  /** Deletes a container's secret files (nothing there is a success). */
  async remove(containerId: string): Promise<void> {
    await rm(this.folderOf(containerId), { recursive: true, force: true });
  }

  /** Deletes the folders of containers not in `keep` (containers removed while the agent was away). */
  async sweep(keep: Set<string>): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names)
      if (!keep.has(name)) await rm(join(this.root, name), { recursive: true, force: true });
  }
}
