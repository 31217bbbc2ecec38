import { expect, test } from "bun:test";
import { expiredPem, opensslPem } from "../../testing/test-pems.ts";
import { selfSigned } from "./generate.ts";
import { inspectCertificate } from "./pem.ts";

const rsa = opensslPem("example.com");
const ec = opensslPem("ec.example", { ec: true });

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect((e as { code?: string }).code).toBe("InvalidFormat");
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
}

test("an RSA certificate's fields are read", () => {
  const info = inspectCertificate(rsa.cert, rsa.key, null);
  expect(info).toMatchObject({
    CN: "example.com",
    subjectAlternativeNames: ["example.com", "www.example.com"],
    algorithm: "RSA",
    keySize: 2048,
    version: "3",
    expired: false,
    issuer: "CN=example.com",
  });
  expect(info.certFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  expect(Date.parse(info.expiresAt) - Date.parse(info.issuedAt)).toBe(30 * 86400_000);
});

test("EC keys, chains and expired certificates are accepted", () => {
  expect(inspectCertificate(ec.cert, ec.key, rsa.cert)).toMatchObject({ algorithm: "EC", keySize: 256 });
  const old = expiredPem("old.example");
  expect(inspectCertificate(old.cert, old.key)).toMatchObject({ expired: true, CN: "old.example" });
});

test("garbage, mismatched keys and bad chains are refused with the reason", () => {
  expect(reason(() => inspectCertificate("garbage", rsa.key))).toMatch(/cert: not PEM/);
  expect(reason(() => inspectCertificate(rsa.cert, ec.key))).toMatch(/key: does not match/);
  expect(reason(() => inspectCertificate(rsa.cert, "nope"))).toMatch(/key: not PEM/);
  expect(reason(() => inspectCertificate(rsa.cert + rsa.cert, rsa.key))).toMatch(/holds 2 PEM blocks/);
  const broken = rsa.cert.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!");
  expect(reason(() => inspectCertificate(broken, rsa.key))).toMatch(/cert: not a valid X.509/);
  expect(reason(() => inspectCertificate(rsa.cert, rsa.key, "junk"))).toMatch(/certChain: not PEM/);
  const badKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
  expect(reason(() => inspectCertificate(rsa.cert, badKey))).toMatch(/key: not a readable/);
});

test("a self-signed certificate is made for a hostname", () => {
  const made = selfSigned("*.apps.example", 10);
  expect(inspectCertificate(made.cert, made.key)).toMatchObject({
    CN: "*.apps.example",
    subjectAlternativeNames: ["*.apps.example"],
  });
});
