import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";

/**
 * Where User Docker's TLS material lives on the host (bound to /etc/docker/tls in its container,
 * RancherOS's path): ca.pem, ca-key.pem, server-cert.pem, server-key.pem.
 */
export const dockerTlsDir = "/var/lib/corral/docker-tls";

/** The port User Docker listens on with TLS (Docker's registered TLS port). */
export const dockerTlsPort = 2376;

/** A PEM certificate with its PEM key. */
export interface CertPair {
  cert: string;
  key: string;
}

/** What a client needs: Docker's ~/.docker names. */
export interface ClientMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** corral.docker.tls (RancherOS: rancher.docker.tls) as a boolean. */
export function tlsEnabled(config: CorralConfig): boolean {
  const v = (config.corral?.docker as Record<string, unknown> | undefined)?.tls;
  return v === true || (typeof v === "string" && /^(true|yes|on|1)$/i.test(v));
}

const days = { ca: 3650, leaf: 1095 };
const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Runs openssl steps in a private scratch folder holding `files`; returns the `outputs`' text. */
function openssl(
  steps: string[][],
  files: Record<string, string>,
  outputs: string[],
): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "corral-tls-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    for (const args of steps) {
      try {
        // Every step names its own -config/-extfile: nothing depends on an openssl.cnf.
        execFileSync("openssl", args, {
          cwd: dir,
          env: { OPENSSL_CONF: "" },
          stdio: "pipe",
          timeout: 30_000,
        });
      } catch (e) {
        const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
        throw new AppError("ServerError", `openssl ${args[0]} failed: ${err || (e as Error).message}`);
      }
    }
    return Object.fromEntries(outputs.map((o) => [o, readFileSync(join(dir, o), "utf8")]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA for User Docker's server and client certificates. */
export function makeCa(now = Date.now()): CertPair {
  const cnf = `[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ca\n[dn]\nO = corral\nCN = corral-docker-ca@${Math.floor(now / 1000)}\n[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n`;
  const out = openssl(
    [
      [
        "req",
        "-x509",
        ...newKey,
        "-config",
        "ca.cnf",
        "-days",
        String(days.ca),
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
      ],
    ],
    { "ca.cnf": cnf },
    ["ca.crt", "ca.key"],
  );
  return { cert: out["ca.crt"]!, key: out["ca.key"]! };
}

/** subjectAltName entries: `IP:` for addresses, `DNS:` for names. */
export function sanList(hosts: readonly string[]): string {
  return hosts.map((h) => (/^[0-9.]+$/.test(h) || h.includes(":") ? `IP:${h}` : `DNS:${h}`)).join(", ");
}

/** A certificate signed by `ca`: a server one for `hosts`, or a client one (CN `client`). */
export function signLeaf(ca: CertPair, kind: "server" | "client", hosts: readonly string[] = []): CertPair {
  if (kind === "server" && hosts.length === 0)
    throw new AppError("InvalidOption", "a server certificate needs at least one host name");
  for (const h of hosts)
    if (!/^[A-Za-z0-9.:*-]+$/.test(h))
      throw new AppError("InvalidOption", `'${h}' is not a host name or address`);
  const cn = kind === "server" ? hosts[0]! : "client";
  const ext =
    kind === "server"
      ? `extendedKeyUsage = serverAuth\nsubjectAltName = ${sanList(hosts)}\n`
      : "extendedKeyUsage = clientAuth\n";
  const cnf = `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nO = corral\nCN = ${cn.slice(0, 64)}\n[leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n${ext}`;
  const serial = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}`;
  const out = openssl(
    [
      ["req", "-new", ...newKey, "-config", "leaf.cnf", "-keyout", "leaf.key", "-out", "leaf.csr"],
      // -days and -set_serial: x509 -req as openssl 3.0 (bookworm) takes them.
      [
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        serial,
        "-days",
        String(days.leaf),
        "-extfile",
        "leaf.cnf",
        "-extensions",
        "leaf",
        "-out",
        "leaf.crt",
      ],
    ],
    { "leaf.cnf": cnf, "ca.crt": ca.cert, "ca.key": ca.key },
    ["leaf.crt", "leaf.key"],
  );
  return { cert: out["leaf.crt"]!, key: out["leaf.key"]! };
}

/** Writes a file atomically with `mode`. */
function put(file: string, text: string, mode: number): void {
  writeFileSync(`${file}.tmp`, text, { mode });
  chmodSync(`${file}.tmp`, mode);
  renameSync(`${file}.tmp`, file);
}

/** The CA in `dir`, made (and kept, 0600 key in a 0700 folder) the first time. */
export function loadOrMakeCa(dir: string): CertPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "ca.pem");
  const keyFile = join(dir, "ca-key.pem");
  if (existsSync(certFile) && existsSync(keyFile))
    return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  const ca = makeCa();
  put(keyFile, ca.key, 0o600);
  put(certFile, ca.cert, 0o644);
  return ca;
}

/** The names a server certificate covers by default: the host name, localhost, loopback. */
export function defaultServerHosts(hostname: string, extra: readonly string[] = []): string[] {
  return [...new Set([...extra, hostname, "localhost", "127.0.0.1"].filter((h) => h !== ""))];
}

/** `corral tls gen --server`: User Docker's server certificate for `hosts`, signed by the CA in `dir`. */
export function genServerCert(dir: string, hosts: readonly string[]): string[] {
  const ca = loadOrMakeCa(dir);
  const leaf = signLeaf(ca, "server", hosts);
  put(join(dir, "server-key.pem"), leaf.key, 0o600);
  put(join(dir, "server-cert.pem"), leaf.cert, 0o644);
  return ["ca.pem", "server-cert.pem", "server-key.pem"].map((f) => join(dir, f));
}

/** `corral tls gen`: a client certificate signed by the CA in `dir`, for ~/.docker. */
export function genClientCert(dir: string): ClientMaterial {
  const ca = loadOrMakeCa(dir);
  const leaf = signLeaf(ca, "client");
  return { ca: ca.cert, cert: leaf.cert, key: leaf.key };
}

/** True when `dir` holds what User Docker needs to serve TLS. */
export function hasServerCert(dir: string): boolean {
  return ["ca.pem", "server-cert.pem", "server-key.pem"].every((f) => existsSync(join(dir, f)));
}

/**
 * Before User Docker (re)starts: the TLS folder it binds exists (0700), and with corral.docker.tls
 * on and no server certificate yet one is made for this machine's name, localhost and 127.0.0.1,
 * as RancherOS did. Returns warnings (openssl failing), never throws: User Docker's entry then says
 * what is missing.
 */
export function ensureDockerTls(root: string, config: CorralConfig): string[] {
  const dir = join(root, dockerTlsDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (tlsEnabled(config) && !hasServerCert(dir))
      genServerCert(dir, defaultServerHosts(config.hostname ?? hostname()));
    return [];
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}
