import { AppError } from "@corral/lib";
import { execaSync } from "execa";

/**
 * Makes a self-signed certificate and its RSA key for a hostname with the `openssl` program
 * (node:crypto cannot sign X.509). The hostname is the subject CN and the only subjectAltName.
 * Synchronous: it runs inside the create verb's transaction, and takes a fraction of a second.
 */
export function selfSigned(hostname: string, days = 365): { cert: string; key: string } {
  let stdout: string;
  try {
    const result = execaSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "-",
        "-out",
        "-",
        "-days",
        String(days),
        "-subj",
        `/CN=${hostname}`,
        "-addext",
        `subjectAltName=DNS:${hostname}`,
      ],
      { timeout: 30_000, reject: false },
    );
    if (result.exitCode !== 0) throw new Error(String(result.stderr || result.shortMessage).trim());
    stdout = String(result.stdout);
  } catch (e) {
    throw new AppError("ServerError", `openssl could not make a certificate: ${(e as Error).message}`);
  }
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(stdout)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(stdout)?.[0];
  if (!key || !cert) throw new AppError("ServerError", "openssl gave no certificate and key");
  return { cert: `${cert}\n`, key: `${key}\n` };
}
