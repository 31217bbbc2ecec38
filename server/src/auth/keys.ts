import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API key secrets are 40 random characters, so a fast SHA-256 digest stores them safely (a slow
 * password hash protects guessable secrets, which these are not). Verified credentials are also
 * cached by the caller, so even this digest is not computed on every request.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A random string from an unambiguous alphabet (public values, tokens). */
export function randomToken(length: number, chars = alphabet): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += chars[b % chars.length];
  return out;
}

/** A new API key pair: a 20-character public value and a 40-character secret. */
export function newKeyPair(): { publicValue: string; secretValue: string } {
  return {
    publicValue: randomToken(20),
    secretValue: randomToken(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
  };
}
