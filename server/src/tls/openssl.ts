import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import { execa, execaSync } from "execa";

/** A PEM certificate and its PEM private key. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** How long the generated CA lives (10 years): agents pin it, so replacing it means joining again. */
export const caDays = 3650;
/** How long a generated server certificate lives; it is made again well before it ends. */
export const serverCertDays = 397;

/** openssl runs and the files they need and make, in a private scratch folder. */
interface OpensslJob {
  steps: string[][];
  files: Record<string, string>;
  outputs: string[];
}

const runOptions = (cwd: string) => ({
  cwd,
  timeout: 30_000,
  reject: false,
  // Every run has its own -config or -extfile: nothing depends on the system's openssl.cnf.
  env: { OPENSSL_CONF: "" },
});

function failed(r: { exitCode?: number; stderr?: unknown; shortMessage?: string }, args: string[]): void {
  if (r.exitCode !== 0)
    throw new Error(String(r.stderr || r.shortMessage || `openssl ${args[0]} failed`).trim());
}

function refused(e: unknown): AppError {
  return new AppError(
    "ServerError",
    `openssl could not make the server's certificates: ${(e as Error).message}`,
    {
      cause: e,
    },
  );
}

function scratch(job: OpensslJob): string {
  const dir = mkdtempSync(join(tmpdir(), "corral-tls-"));
  for (const [name, text] of Object.entries(job.files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  return dir;
}

const outputsOf = (job: OpensslJob, dir: string) =>
  Object.fromEntries(job.outputs.map((name) => [name, readFileSync(join(dir, name), "utf8")]));

/** Runs a job and returns the files it wrote (at start, where blocking is fine). */
function runOpenssl(job: OpensslJob): Record<string, string> {
  let dir = "";
  try {
    dir = scratch(job);
    for (const args of job.steps) failed(execaSync("openssl", args, runOptions(dir)), args);
    return outputsOf(job, dir);
  } catch (e) {
    throw refused(e);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a job without blocking the server (a certificate made again while it serves). */
async function runOpensslAsync(job: OpensslJob): Promise<Record<string, string>> {
  let dir = "";
  try {
    dir = scratch(job);
    for (const args of job.steps) failed(await execa("openssl", args, runOptions(dir)), args);
    return outputsOf(job, dir);
  } catch (e) {
    throw refused(e);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** EC P-256 keys: quick to make, and what every TLS client takes. */
const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Makes a self-signed certificate authority (CN `corral-ca@<seconds>`) that signs server certificates. */
export function makeCertificateAuthority(now = Date.now()): KeyPair {
  const config = `[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
O = corral
CN = corral-ca@${Math.floor(now / 1000)}
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
`;
  const out = runOpenssl({
    steps: [
      [
        "req",
        "-x509",
        ...newKey,
        "-config",
        "ca.cnf",
        "-days",
        String(caDays),
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
      ],
    ],
    files: { "ca.cnf": config },
    outputs: ["ca.crt", "ca.key"],
  });
  return { cert: out["ca.crt"]!, key: out["ca.key"]! };
}

/** One subjectAltName entry as openssl writes it: `IP:` for addresses, `DNS:` for names. */
function sanEntry(name: string): string {
  return /^[0-9.]+$/.test(name) || name.includes(":") ? `IP:${name}` : `DNS:${name}`;
}

/**
 * Makes a server certificate for `sans` (names and addresses), signed by `ca`. The first SAN is the
 * subject's CN; clients check the SANs only.
 */
export function signServerCertificate(ca: KeyPair, sans: string[], days = serverCertDays): KeyPair {
  const out = runOpenssl(serverJob(ca, sans, days));
  return { cert: out["server.crt"]!, key: out["server.key"]! };
}

/** signServerCertificate without blocking: for a certificate made again while the server runs. */
export async function signServerCertificateAsync(
  ca: KeyPair,
  sans: string[],
  days = serverCertDays,
): Promise<KeyPair> {
  const out = await runOpensslAsync(serverJob(ca, sans, days));
  return { cert: out["server.crt"]!, key: out["server.key"]! };
}

function serverJob(ca: KeyPair, sans: string[], days: number): OpensslJob {
  if (sans.length === 0) throw new AppError("InvalidOption", "a server certificate needs at least one name");
  const cn = sans.find((s) => !s.includes(":")) ?? "corral";
  const config = `[req]
distinguished_name = dn
prompt = no
[dn]
O = corral
CN = ${cn.slice(0, 64)}
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${sans.map(sanEntry).join(", ")}
`;
  const serial = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}`;
  return {
    steps: [
      ["req", "-new", ...newKey, "-config", "server.cnf", "-keyout", "server.key", "-out", "server.csr"],
      [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        serial,
        "-days",
        String(days),
        "-extfile",
        "server.cnf",
        "-extensions",
        "server",
        "-out",
        "server.crt",
      ],
    ],
    files: { "server.cnf": config, "ca.crt": ca.cert, "ca.key": ca.key },
    outputs: ["server.crt", "server.key"],
  };
}
