import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { keyFragments, sshCommand } from "./ssh.ts";

/** Credentials for a private catalog: a user and password (or token) for http(s), a key for ssh. */
export interface GitCredentials {
  username?: string;
  password?: string;
  /** An OpenSSH private key, for `ssh://` and `user@host:path` URLs. */
  sshKey?: string;
}

/** What a fetch needs: where from, which branch, where to, with what. */
export interface FetchRequest {
  url: string;
  branch: string;
  /** The folder the clone lives in; replaced only when a new clone succeeded. */
  dir: string;
  credentials?: GitCredentials;
  /** known_hosts lines the ssh server must match (pinned); without them, see `knownHostsFile`. */
  knownHosts?: string;
  /** The catalog's own known_hosts: the host key seen first is kept there and checked afterwards. */
  knownHostsFile?: string;
  timeoutMs?: number;
}

/** The URL forms a catalog may use; others (`ext::`, `fd::`, local paths) are refused. */
const allowedUrl = /^(?:(?:file|https?|ssh|git):\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)/;

/** True when git may be pointed at `url`. */
export function isAllowedGitUrl(url: string): boolean {
  return allowedUrl.test(url) && !/[\s\0]/.test(url) && !url.startsWith("-");
}

/** True when `branch` is a name git accepts as a branch (no options, no ranges). */
export function isAllowedBranch(branch: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(branch) && !branch.includes("..");
}

/**
 * Removes what a message may carry of the credentials (userinfo in URLs, the password itself, any
 * line of the private key).
 */
export function scrub(text: string, credentials?: GitCredentials): string {
  // An ssh login name (`ssh://git@host/...`) is no secret and says which account the key is for.
  let out = text.replace(/(\w+):\/\/([^/@\s]*)@/g, (_m, scheme: string, info: string) =>
    scheme.toLowerCase() === "ssh" && !info.includes(":") ? `${scheme}://${info}@` : `${scheme}://***@`,
  );
  for (const secret of [credentials?.password, credentials?.username, ...keyFragments(credentials?.sshKey)])
    if (secret && secret.length >= 3) out = out.split(secret).join("***");
  return out;
}

/**
 * Clones `branch` of `url` shallowly (`--depth 1`) next to `dir`, then puts the new clone in its place:
 * a failed fetch leaves the last good copy serving. Returns the commit fetched; throws with git's
 * own message (credentials removed).
 */
export async function fetchCatalog(req: FetchRequest): Promise<string> {
  if (!isAllowedGitUrl(req.url)) throw new Error(`refused URL: use file://, http(s)://, ssh:// or git://`);
  if (!isAllowedBranch(req.branch)) throw new Error(`refused branch name`);
  const parent = dirname(req.dir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const tag = randomBytes(6).toString("hex");
  const next = `${req.dir}.next-${tag}`;
  const secrets = join(parent, `.git-auth-${tag}`);
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  let keyFile: string | undefined;
  let pinnedFile: string | undefined;
  try {
    const c = req.credentials;
    if (c?.username || c?.password) {
      // git asks this program for the user and password: they never appear in argv or in the URL.
      mkdirSync(secrets, { mode: 0o700 });
      const askpass = join(secrets, "askpass");
      writeFileSync(
        askpass,
        '#!/bin/sh\ncase "$1" in\n  Username*) printf "%s" "$CORRAL_GIT_USERNAME" ;;\n  *) printf "%s" "$CORRAL_GIT_PASSWORD" ;;\nesac\n',
        { mode: 0o700 },
      );
      Object.assign(env, {
        GIT_ASKPASS: askpass,
        CORRAL_GIT_USERNAME: c.username ?? "",
        CORRAL_GIT_PASSWORD: c.password ?? "",
      });
    }
    if (c?.sshKey) {
      // The key lives in a 0600 file (ssh refuses others) only for this fetch: `finally` removes it.
      if (!existsSync(secrets)) mkdirSync(secrets, { mode: 0o700 });
      keyFile = join(secrets, "id");
      writeFileSync(keyFile, c.sshKey.endsWith("\n") ? c.sshKey : `${c.sshKey}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    }
    if (req.knownHosts) {
      if (!existsSync(secrets)) mkdirSync(secrets, { mode: 0o700 });
      pinnedFile = join(secrets, "known_hosts");
      writeFileSync(pinnedFile, req.knownHosts.endsWith("\n") ? req.knownHosts : `${req.knownHosts}\n`);
    }
    env.GIT_SSH_COMMAND = sshCommand(keyFile, { pinnedFile, learnedFile: req.knownHostsFile });
    const result = await execa(
      "git",
      [
        "-c",
        "protocol.ext.allow=never",
        "-c",
        "protocol.fd.allow=never",
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--single-branch",
        "--no-tags",
        "--branch",
        req.branch,
        "--",
        req.url,
        next,
      ],
      { env, extendEnv: true, timeout: req.timeoutMs ?? 120_000, reject: false, stdin: "ignore" },
    );
    if (result.exitCode !== 0 || result.failed) {
      const message = (result.stderr || result.shortMessage || "git clone failed").trim();
      throw new Error(scrub(message, c).slice(0, 2000));
    }
    const head = await execa("git", ["-C", next, "rev-parse", "HEAD"], { reject: false });
    const old = `${req.dir}.old-${tag}`;
    if (existsSync(req.dir)) renameSync(req.dir, old);
    renameSync(next, req.dir);
    // The old copy goes in the background: the new one already serves, and removing thousands of
    // files took seconds on a loaded machine.
    void rm(old, { recursive: true, force: true }).catch(() => {});
    return head.stdout.trim();
  } finally {
    rmSync(next, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
  }
}
