import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import { ensurePrivateFile } from "../store/data-folder.ts";

/** The file in the data folder that holds the key, when `CORRAL_DATA_KEY` does not give one. */
export const secretKeyFile = "secret.key";

const keyBytes = 32;
const ivBytes = 12;
const prefix = "sb1";

/**
 * Encrypts secrets kept in the store (provider passwords, OAuth client secrets, registry
 * credentials) with AES-256-GCM under one server key, so a copy of the database alone reveals none
 * of them. A sealed value is `sb1:<key id>:<iv>:<ciphertext+tag>` (base64url); the key id (the
 * first bytes of the key's SHA-256) tells which key sealed it, so a value sealed under another key
 * is refused with a clear error instead of decrypting to garbage.
 */
export class SecretBox {
  /** Which key this is, as sealed values name it (not secret: a prefix of the key's hash). */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== keyBytes) throw new AppError("InvalidOption", `a secret key is ${keyBytes} bytes`);
    this.keyId = createHash("sha256").update(key).digest("base64url").slice(0, 8);
  }

  /** Seals `plain`; every call uses a fresh IV, so equal secrets do not look equal. */
  seal(plain: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return [prefix, this.keyId, iv.toString("base64url"), body.toString("base64url")].join(":");
  }

  /** Opens a value `seal` made; throws InvalidState when it was sealed by another key or altered. */
  open(sealed: string): string {
    const [p, keyId, iv, body] = sealed.split(":");
    if (p !== prefix || !keyId || !iv || !body) throw new AppError("InvalidState", "not a sealed secret");
    if (keyId !== this.keyId)
      throw new AppError(
        "InvalidState",
        `secret sealed by another server key (${keyId}); was the key changed?`,
      );
    const raw = Buffer.from(body, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new AppError("InvalidState", "a sealed secret failed its integrity check");
    }
  }

  /** The id of the key that sealed `sealed` (null when it is not a sealed value). */
  static keyIdOf(sealed: string): string | null {
    const [p, keyId] = sealed.split(":");
    return p === prefix && keyId ? keyId : null;
  }

  /** True when `value` looks like a sealed secret (for migrations from plain text). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${prefix}:`);
  }
}

/**
 * The server's secret box: the key from `CORRAL_DATA_KEY` (base64, 32 bytes) when set, else from
 * `<dataDir>/secret.key`, created 0600 with a random key on first use.
 */
export function loadSecretBox(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): SecretBox {
  const fromEnv = env.CORRAL_DATA_KEY;
  if (fromEnv) {
    const key = Buffer.from(fromEnv.trim(), "base64");
    if (key.length !== keyBytes)
      throw new AppError("InvalidOption", `CORRAL_DATA_KEY must be ${keyBytes} bytes in base64`);
    return new SecretBox(key);
  }
  const path = join(dataDir, secretKeyFile);
  if (!existsSync(path)) {
    ensurePrivateFile(path);
    writeFileSync(path, randomBytes(keyBytes).toString("base64"), { mode: 0o600 });
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length !== keyBytes)
    throw new AppError("InvalidOption", `${path} must hold ${keyBytes} bytes in base64`);
  return new SecretBox(key);
}
