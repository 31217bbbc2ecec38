import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { checkSecret, hashSecret, newKeyPair, randomToken } from "./keys.ts";

describe("secret digests", () => {
  test("are salted: the same secret twice gives two digests, both of which match it", () => {
    const secret = newKeyPair().secretValue;
    const a = hashSecret(secret);
    const b = hashSecret(secret);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(checkSecret(secret, a)).toEqual({ ok: true, legacy: false });
    expect(checkSecret(secret, b)).toEqual({ ok: true, legacy: false });
    expect(checkSecret(`${secret}x`, a)).toEqual({ ok: false, legacy: false });
    expect(checkSecret("", a).ok).toBe(false);
  });

  test("an unsalted SHA-256 digest of old still matches, and says it is one", () => {
    const legacy = createHash("sha256").update("old-secret").digest("hex");
    expect(checkSecret("old-secret", legacy)).toEqual({ ok: true, legacy: true });
    expect(checkSecret("other", legacy)).toEqual({ ok: false, legacy: true });
  });

  test("a damaged or unknown stored value matches nothing", () => {
    const good = hashSecret("s");
    for (const stored of ["", "x", "bcrypt$a$b", `${good}$extra`, good.slice(0, -4), "hmac-sha256$$"])
      expect(checkSecret("s", stored).ok).toBe(false);
  });
});

describe("randomToken", () => {
  test("has the asked length and uses every character of the alphabet evenly", () => {
    const chars = "abc";
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const text = randomToken(30_000, chars);
    expect(text).toHaveLength(30_000);
    for (const c of text) counts[c]!++;
    // 256 % 3 = 1: without redrawing, "a" would come up measurably more often; here all are ~10,000.
    for (const n of Object.values(counts)) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  test("key pairs: a 20-character public value and a 40-character secret", () => {
    const pair = newKeyPair();
    expect(pair.publicValue).toMatch(/^[A-Z2-9]{20}$/);
    expect(pair.secretValue).toMatch(/^[A-Za-z0-9]{40}$/);
  });
});
