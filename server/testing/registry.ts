/**
 * A real private registry for tests: Debian's `docker-registry` (Docker distribution) on a free
 * port, with TLS from a CA the fixture makes and htpasswd (bcrypt) auth. Image pushes go through the
 * local Docker CLI with a private DOCKER_CONFIG (the user's own login is never touched). Reused by
 * the registry/secrets tests, the pull benchmark and the webhook tests (which pass `notify` to get
 * the registry's v2 notifications).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { freePort } from "./slapd.ts";

/** How to start a registry. */
export interface RegistryOptions {
  /** More addresses the certificate names (IPs), e.g. the test network's gateway that hosts reach. */
  ips?: string[];
  /** The address to listen on (default 0.0.0.0, so test hosts on a bridge can reach it). */
  listen?: string;
  /** A URL the registry POSTs its v2 notification envelopes to (Docker distribution's endpoints). */
  notify?: { url: string; headers?: Record<string, string> };
}

/** A running registry. */
export interface TestRegistry {
  port: number;
  /** `127.0.0.1:<port>`: the registry as this machine's engine and clients name it. */
  address: string;
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** The CA that signed the registry's certificate (PEM file and text). */
  caPath: string;
  caPem: string;
  /** The one htpasswd user. */
  username: string;
  password: string;
  /** `<ip>:<port>`: the registry's address as seen from another network (certificate names the IP). */
  addressFor(ip: string): string;
  /** Tags a local image as `<address>/<repo>` and pushes it with the registry's credentials. */
  push(localImage: string, repo: string, address?: string): Promise<string>;
  /** Stops the registry and removes its folder and the host engine's trust of it. */
  stop(): Promise<void>;
}

async function sh(file: string, args: string[], env: Record<string, string> = {}, input?: string) {
  const r = await execa(file, args, { reject: false, env, input, timeout: 300_000 });
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Makes a CA and a server certificate for 127.0.0.1, localhost and `ips`. */
async function makeCerts(dir: string, ips: string[]): Promise<void> {
  const at = (f: string) => join(dir, f);
  await sh(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", at("ca.key")].concat([
      "-out",
      at("ca.crt"),
      "-days",
      "2",
      "-subj",
      "/CN=corral-test-registry-ca",
    ]),
  );
  await sh(
    "openssl",
    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", at("tls.key"), "-out", at("tls.csr")].concat([
      "-subj",
      "/CN=corral-test-registry",
    ]),
  );
  const sans = ["DNS:localhost", "IP:127.0.0.1", ...ips.map((ip) => `IP:${ip}`)].join(",");
  writeFileSync(at("ext.cnf"), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
  await sh(
    "openssl",
    ["x509", "-req", "-in", at("tls.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key")].concat([
      "-CAcreateserial",
      "-out",
      at("tls.crt"),
      "-days",
      "2",
      "-extfile",
      at("ext.cnf"),
    ]),
  );
}

function configYaml(dir: string, listen: string, port: number, notify?: RegistryOptions["notify"]): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${listen}:${port}`,
    "  tls:",
    `    certificate: ${join(dir, "tls.crt")}`,
    `    key: ${join(dir, "tls.key")}`,
    "auth:",
    "  htpasswd:",
    "    realm: corral-test",
    `    path: ${join(dir, "htpasswd")}`,
  ];
  if (notify) {
    lines.push("notifications:", "  endpoints:", "    - name: corral", `      url: ${notify.url}`);
    lines.push("      timeout: 5s", "      threshold: 5", "      backoff: 1s");
    if (notify.headers) {
      lines.push("      headers:");
      for (const [k, v] of Object.entries(notify.headers)) lines.push(`        ${k}: [${JSON.stringify(v)}]`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Waits until the registry answers TLS with our CA (401: auth is on). */
async function waitReady(url: string, caPem: string, proc: { exitCode: number | null }, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    const r = await fetch(`${url}/v2/`, { tls: { ca: caPem } } as RequestInit).catch(() => null);
    if (r?.status === 401) return;
    await Bun.sleep(100);
  }
  throw new Error(`docker-registry did not answer at ${url}: ${log()}`);
}

/** Starts a registry; stop it in the test's afterAll. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "corral-registry-"));
  const dockerConfig = join(dir, "docker-config");
  mkdirSync(dockerConfig);
  mkdirSync(join(dir, "data"));
  await makeCerts(dir, options.ips ?? []);
  const username = "corral-ci";
  const password = `pw-${crypto.randomUUID()}`;
  const hash = await Bun.password.hash(password, { algorithm: "bcrypt", cost: 5 });
  writeFileSync(join(dir, "htpasswd"), `${username}:${hash}\n`);
  const port = await freePort();
  writeFileSync(join(dir, "config.yml"), configYaml(dir, options.listen ?? "0.0.0.0", port, options.notify));
  const proc = Bun.spawn(["docker-registry", "serve", join(dir, "config.yml")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) output = (output + new TextDecoder().decode(chunk)).slice(-8000);
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const caPath = join(dir, "ca.crt");
  const caPem = readFileSync(caPath, "utf8");
  const address = `127.0.0.1:${port}`;
  const url = `https://${address}`;
  // The engine on this machine trusts the CA for pushes (certs.d is read at each push).
  const engineTrust = join("/etc/docker/certs.d", address);
  const stop = async () => {
    proc.kill();
    await proc.exited;
    rmSync(engineTrust, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, caPem, proc, () => output);
    mkdirSync(engineTrust, { recursive: true });
    writeFileSync(join(engineTrust, "ca.crt"), caPem);
  } catch (e) {
    await stop();
    throw e;
  }
  const env = { DOCKER_CONFIG: dockerConfig };
  let loggedIn = false;
  return {
    port,
    address,
    url,
    caPath,
    caPem,
    username,
    password,
    addressFor: (ip) => `${ip}:${port}`,
    async push(localImage, repo, at = address) {
      if (!loggedIn) {
        await sh("docker", ["login", "--username", username, "--password-stdin", address], env, password);
        loggedIn = true;
      }
      const ref = `${at}/${repo}`;
      await sh("docker", ["tag", localImage, ref], env);
      await sh("docker", ["push", ref], env);
      return ref;
    },
    stop,
  };
}

/** Makes an engine inside a test host trust the registry's CA for `address` (`<ip>:<port>`). */
export async function trustRegistry(
  exec: (argv: string[]) => Promise<{ exitCode: number; stderr: string }>,
  address: string,
  caPem: string,
): Promise<void> {
  const dir = `/etc/docker/certs.d/${address}`;
  const r = await exec(["sh", "-c", `mkdir -p '${dir}' && cat > '${dir}/ca.crt' <<'EOF'\n${caPem}EOF\n`]);
  if (r.exitCode !== 0) throw new Error(`could not trust the registry CA on the host: ${r.stderr}`);
}
