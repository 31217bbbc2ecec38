/**
 * A private catalog over ssh with a key, against a real OpenSSH sshd on loopback (server/testing/
 * sshd.ts): the right key fetches (`ssh://` and the scp-like `user@host:path`), a wrong one fails with
 * git's message and keeps the last copy, the key never shows in messages and its file is gone after
 * the fetch; host keys are learned on first use into the catalog's own known_hosts and checked after,
 * or pinned when the catalog gives known_hosts lines.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { makeKeyPair, startSshd, type TestKeyPair, type TestSshd } from "../../testing/sshd.ts";
import { commitFiles } from "../../testing/test-catalog.ts";
import { fetchCatalog } from "./fetch.ts";
import { knownHostsProblem, publicKeyOf } from "./ssh.ts";

// Real ssh, git and key generation on a shared, busy machine: seconds, not milliseconds. (On a
// timeout bun kills the processes a test started, sshd included, failing the tests after it.)
setDefaultTimeout(60_000);

let work = "";
let sshd: TestSshd;
let good: TestKeyPair;
let wrong: TestKeyPair;
let bare = "";
let url = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "corral-git-ssh-"));
  good = await makeKeyPair(work, "good");
  wrong = await makeKeyPair(work, "wrong");
  const src = join(work, "src");
  await commitFiles(
    src,
    {
      "templates/hello/config.yml": "name: hello\nversion: 1.0.0\n",
      "templates/hello/0/docker-compose.yml": "services: {}\n",
    },
    "catalog",
  );
  bare = join(work, "repos", "private.git");
  await execa("git", ["clone", "-q", "--bare", src, bare]);
  sshd = await startSshd([good.publicKey]);
  url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`;
});

afterAll(async () => {
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Fetches into `clones/<name>` with a per-test known_hosts, as the catalog service does. */
const fetchInto = (name: string, o: { key?: string; knownHosts?: string; url?: string } = {}) =>
  fetchCatalog({
    url: o.url ?? url,
    branch: "master",
    dir: join(work, "clones", name),
    credentials: o.key ? { sshKey: o.key } : undefined,
    knownHosts: o.knownHosts,
    knownHostsFile: join(work, "known_hosts", name),
  });

const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error("fetched"),
    (e: Error) => e,
  );

describe("a private catalog over ssh with a key", () => {
  test("the right key fetches; the host key is learned into the catalog's known_hosts; no key file stays", async () => {
    const commit = await fetchInto("ok", { key: good.privateKey });
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(work, "clones", "ok", "templates", "hello", "config.yml"), "utf8")).toContain(
      "name: hello",
    );
    const learned = readFileSync(join(work, "known_hosts", "ok"), "utf8");
    expect(learned).toContain(sshd.knownHostsLine.split(" ")[2]!);
    // Only the clone is left beside it: the key's temp folder went with the fetch.
    expect(readdirSync(join(work, "clones"))).toEqual(["ok"]);
  });

  test("the scp-like form user@host:path fetches with the key too", async () => {
    // That form has no port: an `ssh` first on PATH adds the test server's (the real ssh runs).
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh -p ${sshd.port} "$@"\n`);
    chmodSync(join(bin, "ssh"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const commit = await fetchInto("scp", { key: good.privateKey, url: `${sshd.user}@127.0.0.1:${bare}` });
      expect(commit).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      process.env.PATH = path;
    }
  });

  test("a wrong key fails with git's message, without the key; the last copy stays", async () => {
    await fetchInto("kept", { key: good.privateKey });
    const failed = await failure(fetchInto("kept", { key: wrong.privateKey }));
    expect(failed.message).toMatch(/Permission denied \(publickey\)/);
    expect(failed.message).toMatch(/Could not read from remote repository/);
    for (const line of wrong.privateKey.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----")))
      expect(failed.message).not.toContain(line);
    expect(existsSync(join(work, "clones", "kept", "templates", "hello", "config.yml"))).toBe(true);
    expect(readdirSync(join(work, "clones")).filter((n) => n.startsWith(".git-auth-"))).toEqual([]);
  });

  test("without a key the server's refusal comes at once (never a prompt)", async () => {
    const failed = await failure(fetchInto("nokey"));
    expect(failed.message).toMatch(/Permission denied|Could not read from remote repository/);
    expect(existsSync(join(work, "clones", "nokey"))).toBe(false);
  });

  test("a host key that changed since the first fetch is refused (and the learned one kept)", async () => {
    const file = join(work, "known_hosts", "changed");
    mkdirSync(join(work, "known_hosts"), { recursive: true });
    const other = (await makeKeyPair(work, "other-host")).publicKey.split(" ");
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}\n`);
    const failed = await failure(fetchInto("changed", { key: good.privateKey }));
    expect(failed.message).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    expect(readFileSync(file, "utf8")).toContain(other[1]!);
    expect(existsSync(join(work, "clones", "changed"))).toBe(false);
  });

  test("pinned known_hosts: the right host key fetches, another is refused, nothing is learned", async () => {
    expect(await fetchInto("pinned", { key: good.privateKey, knownHosts: sshd.knownHostsLine })).toMatch(
      /^[0-9a-f]{40}$/,
    );
    expect(existsSync(join(work, "known_hosts", "pinned"))).toBe(false);
    const other = (await makeKeyPair(work, "pinned-other")).publicKey.split(" ");
    const failed = await failure(
      fetchInto("pinned-wrong", {
        key: good.privateKey,
        knownHosts: `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}`,
      }),
    );
    expect(failed.message).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });
});

describe("checking keys and known_hosts before they are stored", () => {
  test("a private key gives its public key; garbage and passphrase keys are refused without echoing them", async () => {
    expect(await publicKeyOf(good.privateKey)).toBe(good.publicKey);
    const garbage =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-at-all-0123456789\n-----END OPENSSH PRIVATE KEY-----";
    const refused = await failure(publicKeyOf(garbage));
    expect(refused.message).toMatch(/not an OpenSSH or PEM private key/);
    expect(refused.message).not.toContain("not-a-key-at-all");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "pass-phrase-1", "-f", join(work, "locked")]);
    const locked = await failure(publicKeyOf(readFileSync(join(work, "locked"), "utf8")));
    expect(locked.message).toMatch(/passphrase/);
  });

  test("known_hosts text is checked line by line", () => {
    expect(knownHostsProblem(sshd.knownHostsLine)).toBeNull();
    expect(knownHostsProblem(`# pinned\n${sshd.knownHostsLine}\n\n`)).toBeNull();
    expect(knownHostsProblem("")).toMatch(/no host key/);
    expect(knownHostsProblem(`${sshd.knownHostsLine}\nSHA256:abc`)).toMatch(/line 2/);
  });
});
