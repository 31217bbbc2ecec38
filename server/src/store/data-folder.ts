import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync } from "node:fs";
import { join, parse, resolve } from "node:path";
import { AppError, createLogger } from "@corral/lib";

const log = createLogger("server.data");

/** Mode of a file the server creates in its data folder (database, WAL, admin key). */
export const privateFileMode = 0o600;

/** Permission bits of group and others: nothing in the data folder keeps any. */
const groupAndOthers = 0o077;

/**
 * Creates the data folder when missing and makes it and everything in it private to the server's
 * user: group and other permission bits are cleared (0755 -> 0700, 0644 -> 0600), the owner's own
 * bits are kept. The store holds certificate keys, IPsec PSKs and registration tokens in clear, so a
 * folder created by hand, or files left by an older version with the umask's 0644, must not stay
 * readable by other users. Symbolic links are left alone: their targets are not ours to change.
 */
export function securePrivateFolder(dir: string): void {
  const path = resolve(dir);
  if (parse(path).root === path)
    throw new AppError("InvalidOption", `the data folder cannot be a filesystem root (${path})`);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  restrict(path, 0);
}

/**
 * Creates `path` as an empty private file when it does not exist, and makes it private when it does.
 * SQLite gives its -wal and -shm files the mode of the database file, so creating the database
 * 0600 before SQLite opens it keeps them private too, whatever the umask.
 */
export function ensurePrivateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, "a", privateFileMode));
  chmodSync(path, privateFileMode);
}

function restrict(path: string, depth: number): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  const mode = stat.mode & 0o777;
  if (mode & groupAndOthers) {
    try {
      chmodSync(path, mode & ~groupAndOthers);
    } catch (e) {
      // Not ours (another user's file placed here): say so rather than refuse to start.
      log.warn("cannot make private", { path, error: e });
    }
  }
  // The data folder is shallow (the store, the admin key, the local agent's state); the bound keeps
  // a mistaken --data from walking a whole tree.
  if (stat.isDirectory() && depth < 4) {
    for (const name of readdirSync(path)) restrict(join(path, name), depth + 1);
  }
}
