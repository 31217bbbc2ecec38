import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, createLogger } from "@corral/lib";
import {
  type KeyPair,
  makeCertificateAuthority,
  signServerCertificate,
  signServerCertificateAsync,
} from "./openssl.ts";
import { serverSans } from "./sans.ts";
import { loadUserCertificate } from "./user-certificate.ts";

const log = createLogger("server.tls");

/** Where the HTTPS listener's certificate comes from. */
export interface TlsSource {
  /** The operator's certificate file (server certificate, then chain) and key file. */
  certFile?: string;
  keyFile?: string;
  /** The CA agents pin, with an operator's certificate (default: the certificate file itself). */
  caFile?: string;
  /** Names and addresses a generated server certificate covers besides this machine's own. */
  extraSans?: string[];
}

/** What the HTTPS listener serves and what agents pin. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA bundle served at `/cacerts`, byte for byte what the checksum covers. */
  caPem: string;
  /** SHA-256 of `caPem`'s bytes, lowercase hex: what registration commands carry. */
  caChecksum: string;
  source: "generated" | "user";
  /** The generated CA's pair, to sign a new server certificate while running (absent for "user"). */
  ca?: KeyPair;
}

/** SHA-256 of a CA bundle's exact bytes, lowercase hex (the checksum agents verify). */
export function caChecksumOf(pem: string): string {
  return createHash("sha256").update(pem).digest("hex");
}

/** Renew a generated server certificate this long before it ends. */
const renewBeforeMs = 30 * 24 * 3600 * 1000;

/**
 * The HTTPS material: the operator's certificate when given (checked, every refusal naming its
 * file), otherwise a CA made at first start and kept in `<dataDir>/tls` (0600 files in a 0700
 * folder; in memory when `dataDir` is null) with a server certificate it signed for this machine's
 * names and addresses. The server certificate is made again when the wanted names change, when it
 * nears its end, or when it is not the CA's; the CA is kept, since agents pinned it.
 */
export function loadTlsMaterial(dataDir: string | null, source: TlsSource = {}): TlsMaterial {
  if (source.certFile || source.keyFile) {
    if (!source.certFile || !source.keyFile)
      throw new AppError(
        "MissingRequired",
        `--tls-cert and --tls-key go together: ${source.certFile ? "--tls-key" : "--tls-cert"} is missing`,
      );
    const user = loadUserCertificate(source.certFile, source.keyFile, source.caFile);
    return {
      cert: user.cert,
      key: user.key,
      caPem: user.caPem,
      caChecksum: caChecksumOf(user.caPem),
      source: "user",
    };
  }
  if (source.caFile) throw new AppError("InvalidOption", "--tls-ca goes with --tls-cert and --tls-key");
  const sans = serverSans(source.extraSans);
  const dir = dataDir ? join(dataDir, "tls") : null;
  const ca = dir ? loadOrMakeCa(dir) : makeCertificateAuthority();
  let server = dir ? readPair(join(dir, "server.crt"), join(dir, "server.key")) : null;
  const stale = server ? whyRenew(server, ca, sans) : "none yet";
  if (stale) {
    server = signServerCertificate(ca, sans);
    if (dir) {
      writePrivate(join(dir, "server.key"), server.key);
      writePrivate(join(dir, "server.crt"), server.cert);
    }
    log.info("server certificate made", { reason: stale, sans });
  }
  return {
    cert: server!.cert,
    key: server!.key,
    caPem: ca.cert,
    caChecksum: caChecksumOf(ca.cert),
    source: "generated",
    ca,
  };
}

/**
 * A new server certificate when this machine has a name or address (an interface that came up
 * after the start, a Docker bridge that got its first container) that the current one does not
 * cover; null when it covers all, or when the certificate is the operator's. Made without blocking,
 * signed by the same CA, and written to `<dataDir>/tls` for the next start.
 */
export async function renewForNewAddresses(
  dataDir: string | null,
  material: TlsMaterial,
  source: TlsSource = {},
): Promise<KeyPair | null> {
  if (material.source !== "generated" || !material.ca) return null;
  const sans = serverSans(source.extraSans);
  if (covers(new X509Certificate(material.cert), sans)) return null;
  const pair = await signServerCertificateAsync(material.ca, sans);
  if (dataDir) {
    writePrivate(join(dataDir, "tls", "server.key"), pair.key);
    writePrivate(join(dataDir, "tls", "server.crt"), pair.cert);
  }
  log.info("server certificate made", { reason: "new names or addresses", sans });
  return pair;
}

/** True when the certificate names every one of `sans`. */
function covers(x: X509Certificate, sans: string[]): boolean {
  return sans.every((s) =>
    s.includes(":") || /^[0-9.]+$/.test(s) ? x.checkIP(s) : x.checkHost(s, { wildcards: false }),
  );
}

/** Why a stored server certificate must be made again, or null when it still serves. */
function whyRenew(server: KeyPair, ca: KeyPair, sans: string[]): string | null {
  let x: X509Certificate;
  try {
    x = new X509Certificate(server.cert);
    if (!x.checkPrivateKey(createPrivateKey(server.key))) return "its key does not match";
  } catch {
    return "unreadable";
  }
  const caCert = new X509Certificate(ca.cert);
  if (!x.checkIssued(caCert) || !x.verify(caCert.publicKey)) return "not signed by the CA";
  if (new Date(x.validTo).getTime() - Date.now() < renewBeforeMs) return "expires soon";
  const has = (x.subjectAltName ?? "").split(", ").filter(Boolean);
  if (!covers(x, sans) || has.length !== sans.length) return "names or addresses changed";
  return null;
}

function readPair(certPath: string, keyPath: string): KeyPair | null {
  if (!existsSync(certPath) || !existsSync(keyPath)) return null;
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

/** The stored CA, or a new one when there is none; a damaged CA stops the start (agents pinned it). */
function loadOrMakeCa(dir: string): KeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const certPath = join(dir, "ca.crt");
  const keyPath = join(dir, "ca.key");
  const pair = readPair(certPath, keyPath);
  if (!pair) {
    if (existsSync(certPath) || existsSync(keyPath))
      throw new AppError(
        "InvalidState",
        `${existsSync(certPath) ? keyPath : certPath} is missing: restore it, or remove ${dir} to make a new CA (every agent must then join again)`,
      );
    const ca = makeCertificateAuthority();
    writePrivate(keyPath, ca.key);
    writePrivate(certPath, ca.cert);
    log.info("certificate authority made", { path: certPath, checksum: caChecksumOf(ca.cert) });
    return ca;
  }
  try {
    const x = new X509Certificate(pair.cert);
    if (!x.ca) throw new Error("it is not a CA certificate");
    if (!x.checkPrivateKey(createPrivateKey(pair.key))) throw new Error(`${keyPath} is not its key`);
  } catch (e) {
    throw new AppError(
      "InvalidState",
      `the server's CA in ${certPath} cannot be used: ${(e as Error).message}; restore it, or remove ${dir} to make a new one (every agent must then join again)`,
    );
  }
  return pair;
}

/** Writes a file 0600 through a temporary name, so a crash never leaves half a key. */
function writePrivate(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}
