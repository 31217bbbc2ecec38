import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { AppError } from "@corral/lib";

/** What a certificate's PEM says about it (Rancher's read-only certificate fields). */
export interface CertificateInfo {
  CN: string | null;
  subjectAlternativeNames: string[];
  issuedAt: string;
  expiresAt: string;
  issuer: string;
  serialNumber: string;
  algorithm: string;
  keySize: number;
  /** SHA-256 fingerprint, colon-separated hex. */
  certFingerprint: string;
  version: string;
  /** True when the certificate is past its expiry (stored and served anyway, flagged). */
  expired: boolean;
}

function invalid(field: string, message: string): never {
  throw new AppError("InvalidFormat", `${field}: ${message}`, { detail: { field } });
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a text, in order; throws when there is none. */
function blocks(text: string, field: string): string[] {
  const found = [...text.matchAll(pemBlock)].map((m) => m[0]);
  if (found.length === 0) invalid(field, "not PEM: no -----BEGIN ...----- block found");
  return found;
}

function parseCert(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    return invalid(field, `not a valid X.509 certificate (${(e as Error).message})`);
  }
}

/** The X.509 version from the DER: tbsCertificate's optional [0] explicit version (v1 without it). */
function x509Version(der: Buffer): string {
  const skipHeader = (at: number): number => {
    const len = der[at + 1] ?? 0;
    return at + 2 + (len & 0x80 ? len & 0x7f : 0);
  };
  const tbs = skipHeader(0);
  const first = skipHeader(tbs);
  if (der[first] !== 0xa0) return "1";
  const int = skipHeader(first);
  return String((der[int + 2] ?? 0) + 1);
}

function keySize(key: KeyObject): number {
  const d = key.asymmetricKeyDetails ?? {};
  if (d.modulusLength) return d.modulusLength;
  const curveBits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  if (d.namedCurve) return curveBits[d.namedCurve] ?? 0;
  if (key.asymmetricKeyType === "ed25519") return 256;
  if (key.asymmetricKeyType === "ed448") return 456;
  return 0;
}

function cnOf(subject: string): string | null {
  const line = subject.split("\n").find((l) => l.startsWith("CN="));
  return line ? line.slice(3) : null;
}

/**
 * Checks a certificate, its private key and an optional chain, and reads the certificate's fields:
 * exactly one certificate in `cert`, a private key that matches its public key, every chain block a
 * certificate. An expired certificate is accepted and flagged. Throws InvalidFormat (422) with the
 * reason otherwise.
 */
export function inspectCertificate(cert: string, key: string, certChain?: string | null): CertificateInfo {
  const certBlocks = blocks(cert, "cert");
  if (certBlocks.length !== 1)
    invalid(
      "cert",
      `holds ${certBlocks.length} PEM blocks; put the server certificate alone in cert and the rest in certChain`,
    );
  const x509 = parseCert(certBlocks[0]!, "cert");
  blocks(key, "key");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    return invalid("key", `not a readable unencrypted private key (${(e as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) invalid("key", "does not match the certificate's public key");
  if (certChain?.trim()) for (const b of blocks(certChain, "certChain")) parseCert(b, "certChain");
  const pub = x509.publicKey;
  const expiresAt = new Date(x509.validTo);
  return {
    CN: cnOf(x509.subject),
    subjectAlternativeNames: (x509.subjectAltName ?? "")
      .split(",")
      .map((s) => s.trim().replace(/^(DNS|IP Address):/, ""))
      .filter(Boolean),
    issuedAt: new Date(x509.validFrom).toISOString(),
    expiresAt: expiresAt.toISOString(),
    issuer: x509.issuer.replace(/\n/g, ", "),
    serialNumber: x509.serialNumber,
    algorithm: pub.asymmetricKeyType?.toUpperCase() ?? "unknown",
    keySize: keySize(pub),
    certFingerprint: x509.fingerprint256,
    version: x509Version(x509.raw),
    expired: expiresAt.getTime() < Date.now(),
  };
}
