/**
 * Starts a real OpenSSH `sshd` (Debian's openssh-server) for tests: its own config, host key and
 * authorized_keys in a temp folder, in the foreground (`-D`) on a free loopback port, serving git
 * over ssh to the user running the tests. No Docker and no host lock needed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { freePort } from "./slapd.ts";

/** A key pair made with ssh-keygen. */
export interface TestKeyPair {
  privateKey: string;
  publicKey: string;
}

/** A running test sshd. */
export interface TestSshd {
  port: number;
  /** The user git logs in as (the one running the tests). */
  user: string;
  /** The server's host key as a known_hosts line for `[127.0.0.1]:<port>`. */
  knownHostsLine: string;
  /** What sshd logged so far (for a failing test's message). */
  log(): string;
  /** Kills sshd and removes its folder. */
  stop(): Promise<void>;
}

/** A new ed25519 key pair (no passphrase). */
export async function makeKeyPair(dir: string, name: string): Promise<TestKeyPair> {
  const file = join(dir, name);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  return { privateKey: readFileSync(file, "utf8"), publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
}

/** True once something answers an SSH banner on the port. */
async function answers(port: number): Promise<boolean> {
  const out = await execa("ssh-keyscan", ["-T", "2", "-p", String(port), "127.0.0.1"], { reject: false });
  return out.exitCode === 0 && out.stdout.includes("ssh-");
}

/** Starts sshd accepting the given public keys, and waits until it answers. */
export async function startSshd(authorizedKeys: string[]): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), "corral-sshd-"));
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  writeFileSync(join(dir, "authorized_keys"), `${authorizedKeys.join("\n")}\n`);
  // sshd wants its privilege separation folder even in the foreground.
  await execa("mkdir", ["-p", "/run/sshd"]);
  // Bun's userInfo() has no name here; `id -un` asks the passwd database as sshd will.
  const user = (await execa("id", ["-un"])).stdout.trim();
  const hostPublic = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(/\s+/);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    writeFileSync(
      join(dir, "sshd_config"),
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${join(dir, "host_key")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        "UsePAM no",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    // Its log goes to a file: a pipe nobody reads any more (once collected) would kill sshd with SIGPIPE.
    const logFile = join(dir, "sshd.log");
    const proc = Bun.spawn(["/usr/sbin/sshd", "-D", "-E", logFile, "-f", join(dir, "sshd_config")], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      if (await answers(port))
        return {
          port,
          user,
          knownHostsLine: `[127.0.0.1]:${port} ${hostPublic[0]} ${hostPublic[1]}`,
          log,
          async stop() {
            proc.kill();
            await proc.exited;
            rmSync(dir, { recursive: true, force: true });
          },
        };
      await Bun.sleep(100);
    }
    proc.kill();
    await proc.exited;
    if (attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${log()}`);
    }
  }
}
