import { AppError } from "@corral/lib";
import { randomToken } from "./keys.ts";

/**
 * Argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane). Bun's default (64 MiB)
 * took 200 to 300 ms per hash on this 2-core machine under load, and every failed login pays one:
 * these cost about a quarter of that and are still the parameters OWASP names for argon2id.
 */
export const passwordHashOptions = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

/** The shortest and longest passwords accepted (longer ones only cost hashing time). */
export const passwordBounds = { min: 8, max: 256 };

/** A hash no password matches, verified when there is no account, so that costs the same time. */
let dummyHash: string | null = null;

/** Throws InvalidFormat unless `value` can be a password; returns it. */
export function checkNewPassword(value: unknown, field = "password"): string {
  if (typeof value !== "string")
    throw new AppError("MissingRequired", `${field} must be a string`, { detail: { field } });
  if (value.length < passwordBounds.min || value.length > passwordBounds.max)
    throw new AppError(
      "InvalidFormat",
      `${field} must have ${passwordBounds.min} to ${passwordBounds.max} characters`,
      { detail: { field } },
    );
  return value;
}

/** The argon2id hash of a password, computed off the event loop. */
export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, passwordHashOptions);
}

/** The argon2id hash of a password, on this thread (inside transactions and at start). */
export function hashPasswordSync(password: string): string {
  return Bun.password.hashSync(password, passwordHashOptions);
}

/**
 * True when `password` matches `hash`. Without a hash (no such account, or one without a
 * password) a dummy hash is checked anyway, so an unknown username takes as long as a wrong
 * password and the answer's timing does not tell which names exist.
 */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash?.startsWith("$argon2")) {
    dummyHash ??= hashPasswordSync(randomToken(24));
    await Bun.password.verify(password, dummyHash).catch(() => false);
    return false;
  }
  try {
    return await Bun.password.verify(password, hash);
  } catch {
    return false;
  }
}

/** A new random password for people to type once: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  return randomToken(20, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789");
}
