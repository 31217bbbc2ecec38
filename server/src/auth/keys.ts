import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Prefix of a salted digest: `hmac-sha256$<salt, base64url>$<digest, base64url>`. */
const saltedScheme = "hmac-sha256";
/** Digests written before salting: the bare SHA-256 of the secret, 64 hex digits. */
const legacyDigest = /^[0-9a-f]{64}$/;

/**
 * Stores an API key secret as HMAC-SHA-256 keyed by 16 random bytes of salt, kept beside the digest.
 *
 * Generated secrets are 40 random characters (238 bits): no guessing, fast or slow, gets near them,
 * so what a stored digest needs is a salt (equal secrets give unequal digests, and no table
 * precomputed for one database fits another), not a slow function. A slow password hash would make
 * every uncached verification, which is what each failed guess is, cost the server milliseconds of
 * CPU (scrypt N=2^10: ~2 ms, N=2^14: ~44 ms, against ~2.5 µs for this; BENCHMARKS.md 13), turning
 * guessing into a way to load it. Secrets a person chooses (CORRAL_ADMIN_SECRET_KEY) must have 16
 * characters or more, and failed attempts are limited per key and per address (rate-limit.ts).
 */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  return `${saltedScheme}$${salt.toString("base64url")}$${digest(salt, secret).toString("base64url")}`;
}

/** The verdict on a presented secret: whether it matched, and whether its digest is of the old kind. */
export interface SecretCheck {
  ok: boolean;
  /** True when the stored digest is an unsalted SHA-256 (to be replaced once the secret is known). */
  legacy: boolean;
}

/** Compares a presented secret with a stored digest (salted, or the unsalted SHA-256 of old) in constant time. */
export function checkSecret(secret: string, stored: string): SecretCheck {
  if (legacyDigest.test(stored)) {
    const presented = createHash("sha256").update(secret).digest();
    return { ok: timingSafeEqual(presented, Buffer.from(stored, "hex")), legacy: true };
  }
  const [scheme, salt, expected, extra] = stored.split("$");
  if (scheme !== saltedScheme || salt === undefined || expected === undefined || extra !== undefined)
    return { ok: false, legacy: false };
  const want = Buffer.from(expected, "base64url");
  const got = digest(Buffer.from(salt, "base64url"), secret);
  return { ok: want.length === got.length && timingSafeEqual(want, got), legacy: false };
}

function digest(salt: Buffer, secret: string): Buffer {
  return createHmac("sha256", salt).update(secret).digest();
}

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * A random string from an unambiguous alphabet (public values, tokens). Bytes past the last whole
 * multiple of the alphabet's length are drawn again, so every character is equally likely.
 */
export function randomToken(length: number, chars = alphabet): string {
  const limit = 256 - (256 % chars.length);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length - out.length + 8)) {
      if (b < limit) out += chars[b % chars.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new API key pair: a 20-character public value and a 40-character secret. */
export function newKeyPair(): { publicValue: string; secretValue: string } {
  return {
    publicValue: randomToken(20),
    secretValue: randomToken(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
  };
}
