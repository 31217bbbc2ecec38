import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

/** True when git reaches `url` over ssh: `ssh://...` or the scp-like `user@host:path`. */
export function isSshUrl(url: string): boolean {
  return /^ssh:\/\//i.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(url);
}

/** Quotes `s` for the shell git runs GIT_SSH_COMMAND with. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How ssh checks the server's host key during a fetch. */
export interface HostKeyPolicy {
  /**
   * known_hosts lines the catalog pins: the server must present one of these keys
   * (StrictHostKeyChecking=yes, nothing else trusted).
   */
  pinnedFile?: string;
  /**
   * The catalog's own known_hosts in the data folder: the key seen at the first fetch is kept there
   * (accept-new), and a later change of it fails the fetch.
   */
  learnedFile?: string;
}

/**
 * The GIT_SSH_COMMAND of a fetch: never asks (BatchMode), offers only the catalog's key when it
 * has one, and checks host keys against the catalog's pinned or learned known_hosts.
 */
export function sshCommand(keyFile: string | undefined, hosts: HostKeyPolicy): string {
  const parts = ["ssh", "-o", "BatchMode=yes"];
  if (hosts.pinnedFile)
    parts.push(
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${shellQuote(hosts.pinnedFile)}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
    );
  else {
    parts.push("-o", "StrictHostKeyChecking=accept-new");
    if (hosts.learnedFile) {
      mkdirSync(dirname(hosts.learnedFile), { recursive: true, mode: 0o700 });
      parts.push("-o", `UserKnownHostsFile=${shellQuote(hosts.learnedFile)}`);
    }
  }
  if (keyFile) parts.push("-o", "IdentitiesOnly=yes", "-i", shellQuote(keyFile));
  return parts.join(" ");
}

/** A known_hosts line: optional marker, host patterns, key type, base64 key, optional comment. */
const knownHostsLine =
  /^(?:@(?:cert-authority|revoked)\s+)?[^\s#@][^\s]*\s+(?:ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+)(?:@openssh\.com)?\s+[A-Za-z0-9+/]+={0,2}(?:\s.*)?$/;

/** Null when `text` is known_hosts content (one key a line, `#` comments), else what is wrong. */
export function knownHostsProblem(text: string): string | null {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (lines.length === 0) return "no host key: give known_hosts lines (host key-type key)";
  const bad = lines.findIndex((l) => !knownHostsLine.test(l));
  return bad < 0 ? null : `line ${bad + 1} is not a known_hosts line (host key-type base64-key)`;
}

/**
 * Checks a private key the way ssh will read it (`ssh-keygen -y`, no passphrase) and returns its
 * public key, or throws a message that carries nothing of the key. A key with a passphrase is
 * refused: fetches run unattended.
 */
export async function publicKeyOf(privateKey: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "corral-key-"));
  try {
    const file = join(dir, "id");
    writeFileSync(file, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    const out = await execa("ssh-keygen", ["-y", "-P", "", "-f", file], {
      reject: false,
      stdin: "ignore",
      timeout: 20_000,
    });
    if (out.exitCode === 0 && out.stdout.trim()) return out.stdout.trim();
    if (/passphrase/i.test(out.stderr))
      throw new Error("the key has a passphrase: give a key without one (fetches run unattended)");
    throw new Error("not an OpenSSH or PEM private key (paste the whole key, BEGIN and END lines included)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines of a private key long enough to be recognised in a message (for scrubbing). */
export function keyFragments(privateKey: string | undefined): string[] {
  if (!privateKey) return [];
  return privateKey
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith("-----"));
}
