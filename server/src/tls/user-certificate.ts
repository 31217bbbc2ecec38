import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { AppError } from "@corral/lib";

const pemCert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function refuse(path: string, what: string, message: string): never {
  throw new AppError("InvalidOption", `${what} ${path}: ${message}`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    return refuse(
      path,
      what,
      `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** The certificates of a PEM file, in order; refuses a file with none or with one that does not parse. */
export function readCertificates(path: string, what: string): { pem: string; certs: X509Certificate[] } {
  const pem = readText(path, what);
  const blocks = pem.match(pemCert) ?? [];
  if (blocks.length === 0) refuse(path, what, "no PEM certificate in it (-----BEGIN CERTIFICATE-----)");
  const certs = blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      return refuse(path, what, `certificate ${i + 1} is not valid X.509 (${(e as Error).message})`);
    }
  });
  return { pem, certs };
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * True when `leaf` chains, through `intermediates`, to a self-signed certificate in `anchors`: what
 * an agent that trusts only `anchors` will accept (OpenSSL needs a self-signed anchor).
 */
export function chainsTo(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  anchors: X509Certificate[],
): boolean {
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    const anchor = anchors.find((a) => issuedBy(current, a) && issuedBy(a, a));
    if (anchor) return true;
    const next = [...intermediates, ...anchors].find((c) => c !== current && issuedBy(current, c));
    if (!next) return false;
    current = next;
  }
  return false;
}

/** A certificate the operator gave: what the HTTPS listener serves and what agents pin. */
export interface UserCertificate {
  /** The certificate file's text (the server certificate, then its chain). */
  cert: string;
  key: string;
  /** The PEM agents pin: the CA file's text, or the certificate file's when no CA file is given. */
  caPem: string;
}

/**
 * Reads and checks the operator's certificate (`certPath`: the server certificate first, then its
 * chain), its unencrypted private key, and optionally the CA file agents will pin. Every refusal
 * names the file and says what is wrong with it. Without a CA file the certificate file itself is
 * pinned: a self-signed certificate, or a chain that ends with its root.
 */
export function loadUserCertificate(certPath: string, keyPath: string, caPath?: string): UserCertificate {
  const { pem: cert, certs } = readCertificates(certPath, "--tls-cert");
  const keyText = readText(keyPath, "--tls-key");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText))
    refuse(keyPath, "--tls-key", "no PEM private key in it (-----BEGIN PRIVATE KEY-----)");
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (e) {
    return refuse(keyPath, "--tls-key", `not a readable unencrypted private key (${(e as Error).message})`);
  }
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(key))
    refuse(keyPath, "--tls-key", `does not match the public key of the certificate in ${certPath}`);
  if (new Date(leaf.validTo).getTime() < Date.now())
    refuse(certPath, "--tls-cert", `the certificate expired on ${new Date(leaf.validTo).toISOString()}`);
  const ca = caPath ? readCertificates(caPath, "--tls-ca") : { pem: cert, certs };
  if (!chainsTo(leaf, certs.slice(1), ca.certs)) {
    const where = caPath
      ? `the CA in ${caPath}`
      : `a root in ${certPath} (give the issuing root CA with --tls-ca)`;
    refuse(
      certPath,
      "--tls-cert",
      `the certificate does not chain to ${where}; agents pinning it would refuse this server`,
    );
  }
  return { cert, key: keyText, caPem: ca.pem };
}
