import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "../system/host.ts";
import { proxyEnv } from "../system/proxy.ts";

/** The console user: `corral`, uid/gid 1100 like RancherOS's `rancher`, which stays as an alias. */
export const consoleUser = { name: "corral", alias: "rancher", uid: 1100, gid: 1100, home: "/home/corral" };

type WriteFile = NonNullable<CorralConfig["write_files"]>[number];

/** The bytes of a write_files entry after its encoding. */
export function decodeContent(f: WriteFile): Buffer {
  const enc = f.encoding ?? "text/plain";
  let data = Buffer.from(f.content ?? "", enc.includes("b64") || enc.includes("base64") ? "base64" : "utf8");
  if (enc.startsWith("gz")) data = gunzipSync(data);
  return data;
}

/** Looks a user or group up in the root's /etc/passwd or /etc/group; numbers pass through. */
function lookupId(root: string, file: "passwd" | "group", name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const line = readFileSync(join(root, "etc", file), "utf8")
      .split("\n")
      .find((l) => l.split(":")[0] === name);
    return line ? Number(line.split(":")[2]) : undefined;
  } catch {
    return undefined;
  }
}

function ensureLine(path: string, prefix: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (!text.split("\n").some((l) => l.startsWith(prefix)))
    appendFileSync(path, `${text && !text.endsWith("\n") ? "\n" : ""}${line}\n`);
}

/** Creates the console user `corral` and its alias `rancher` (same uid, home linked). */
export function ensureConsoleUser(root: string): void {
  const u = consoleUser;
  ensureLine(
    join(root, "etc/passwd"),
    `${u.name}:`,
    `${u.name}:x:${u.uid}:${u.gid}:CorralOS:${u.home}:/bin/sh`,
  );
  ensureLine(
    join(root, "etc/passwd"),
    `${u.alias}:`,
    `${u.alias}:x:${u.uid}:${u.gid}:RancherOS alias:${u.home}:/bin/sh`,
  );
  ensureLine(join(root, "etc/group"), `${u.name}:`, `${u.name}:x:${u.gid}:`);
  ensureLine(join(root, "etc/shadow"), `${u.name}:`, `${u.name}:*:19000:0:99999:7:::`);
  mkdirSync(join(root, u.home), { recursive: true });
  if (!existsSync(join(root, "home", u.alias))) symlinkSync(u.name, join(root, "home", u.alias));
}

/** Writes `ssh_authorized_keys` to the console user's ~/.ssh/authorized_keys (0600, owned by it). */
export function applySshKeys(root: string, keys: readonly string[], chown = true): void {
  if (keys.length === 0) return;
  ensureConsoleUser(root);
  const dir = join(root, consoleUser.home, ".ssh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "authorized_keys");
  const existing = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  const all = [...existing, ...keys.filter((k) => !existing.includes(k))];
  writeFileSync(file, `${all.join("\n")}\n`, { mode: 0o600 });
  if (chown && process.getuid?.() === 0) {
    chownSync(dir, consoleUser.uid, consoleUser.gid);
    chownSync(file, consoleUser.uid, consoleUser.gid);
  }
}

/** Writes `write_files` entries into `root`; entries for a `container:` other than the console are skipped. */
export function applyWriteFiles(root: string, files: readonly WriteFile[]): string[] {
  const skipped: string[] = [];
  for (const f of files) {
    if (f.container && f.container !== "console") {
      skipped.push(`${f.path} (container ${f.container})`);
      continue;
    }
    const path = join(root, f.path);
    mkdirSync(dirname(path), { recursive: true });
    if (f.append) appendFileSync(path, decodeContent(f));
    else writeFileSync(path, decodeContent(f));
    const mode =
      f.permissions === undefined
        ? 0o644
        : typeof f.permissions === "number"
          ? f.permissions
          : Number.parseInt(f.permissions, 8);
    chmodSync(path, mode);
    if (f.owner && process.getuid?.() === 0) {
      const [user = "", group = user] = f.owner.split(":");
      chownSync(path, lookupId(root, "passwd", user) ?? 0, lookupId(root, "group", group) ?? 0);
    }
  }
  return skipped;
}

/** Sets the hostname: /etc/hostname, a 127.0.1.1 line in /etc/hosts, and the kernel's through `hostname`. */
export async function applyHostname(host: Host, name: string): Promise<void> {
  writeFileSync(join(host.root, "etc/hostname"), `${name}\n`);
  ensureLine(join(host.root, "etc/hosts"), "127.0.0.1", "127.0.0.1 localhost");
  ensureLine(join(host.root, "etc/hosts"), `127.0.1.1 ${name}`, `127.0.1.1 ${name}`);
  await host.run("hostname", [name]);
}

/** `corral.environment` and the proxies as /etc/environment, read by the console's login shells. */
export function applyEnvironment(root: string, config: CorralConfig): void {
  const env = { ...proxyEnv(config), ...(config.corral?.environment ?? {}) };
  if (Object.keys(env).length === 0) return;
  writeFileSync(
    join(root, "etc/environment"),
    Object.entries(env)
      .map(([k, v]) => `${k}=${String(v)}\n`)
      .join(""),
  );
}

/** Runs bootcmd/runcmd entries: a string through `sh -c`, a list as argv. Returns failures, keeps going. */
export async function runCommands(host: Host, cmds: readonly (string | string[])[]): Promise<string[]> {
  const errors: string[] = [];
  for (const c of cmds) {
    const [file, args] = typeof c === "string" ? ["sh", ["-c", c]] : [c[0] ?? "true", c.slice(1)];
    try {
      await host.run(file, args, { timeoutMs: 300_000 });
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  return errors;
}

/** `mounts` entries ([device, dir, type, options]) mounted in order; swap entries run swapon. */
export async function applyMounts(host: Host, mounts: readonly string[][]): Promise<void> {
  for (const [device = "", dir = "", type = "auto", options = ""] of mounts) {
    if (type === "swap") {
      await host.run("swapon", [device]);
      continue;
    }
    mkdirSync(join(host.root, dir), { recursive: true });
    await host.run("mount", ["-t", type, ...(options ? ["-o", options] : []), device, dir]);
  }
}
