import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, createLogger } from "@corral/lib";
import { SecretBox, secretKeyFile } from "./secret-box.ts";

const log = createLogger("server.keys");

/** The file a rotation writes the new key to before it re-seals anything (see rotateKeyFile). */
export const nextKeyFile = "secret.key.next";

function keyFrom(text: string, what: string): SecretBox {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new AppError("InvalidOption", `${what} must be 32 bytes in base64`);
  return new SecretBox(key);
}

/** Re-seals one JSON value's sealed strings; returns the new value and whether anything changed. */
function reseal(v: unknown, from: SecretBox, to: SecretBox): [unknown, boolean] {
  if (typeof v === "string")
    return SecretBox.keyIdOf(v) === from.keyId ? [to.seal(from.open(v)), true] : [v, false];
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const [y, c] = reseal(x, from, to);
      changed ||= c;
      return y;
    });
    return [out, changed];
  }
  if (v && typeof v === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const [y, c] = reseal(x, from, to);
      out[k] = y;
      changed ||= c;
    }
    return [out, changed];
  }
  return [v, false];
}

/**
 * Re-seals, in one transaction, every value sealed by `from` under `to`: the secret column
 * (registry passwords, secret values) and sealed strings inside rows' data (identity provider
 * secrets). Values sealed by `to` already are left alone, so a rotation that stopped half-way
 * (it cannot: one transaction) or runs twice does no harm. Returns how many rows changed.
 */
export function resealAll(db: Database, from: SecretBox, to: SecretBox): number {
  if (from.keyId === to.keyId) return 0;
  let count = 0;
  db.transaction(() => {
    const rows = db
      .query<{ id: number; secret: string | null; data: string }, []>("SELECT id, secret, data FROM resource")
      .all();
    const write = db.query("UPDATE resource SET secret = ?, data = ? WHERE id = ?");
    for (const row of rows) {
      const [secret, s] = row.secret ? reseal(row.secret, from, to) : [row.secret, false];
      const [data, d] = row.data.includes("sb1:") ? reseal(JSON.parse(row.data), from, to) : [null, false];
      if (!s && !d) continue;
      write.run(secret as string | null, d ? JSON.stringify(data) : row.data, row.id);
      count++;
    }
  })();
  return count;
}

/**
 * Key rotation at start, before anything reads a sealed value:
 * - `CORRAL_DATA_KEY_PREVIOUS` (base64) with the current key from `CORRAL_DATA_KEY`: values
 *   sealed by the previous key are re-sealed under the current one.
 * - a data-folder key with `CORRAL_ROTATE_DATA_KEY=1`: a new random key is written to
 *   `secret.key.next` (0600) first, every value is re-sealed under it, then it replaces
 *   `secret.key`. A start that finds `secret.key.next` (a rotation cut short) finishes it.
 * Returns the box to use from now on.
 */
export function rotateAtStart(
  db: Database,
  current: SecretBox,
  dataDir: string | null,
  env: Record<string, string | undefined>,
): SecretBox {
  if (env.CORRAL_DATA_KEY_PREVIOUS) {
    const previous = keyFrom(env.CORRAL_DATA_KEY_PREVIOUS, "CORRAL_DATA_KEY_PREVIOUS");
    const n = resealAll(db, previous, current);
    log.info("secret key rotated: values re-sealed under the current key", { rows: n, keyId: current.keyId });
    return current;
  }
  if (!dataDir || env.CORRAL_DATA_KEY) return current;
  const nextPath = join(dataDir, nextKeyFile);
  const keyPath = join(dataDir, secretKeyFile);
  const pending = existsSync(nextPath);
  if (!pending && env.CORRAL_ROTATE_DATA_KEY !== "1") return current;
  if (!pending) writeFileSync(nextPath, randomBytes(32).toString("base64"), { mode: 0o600 });
  const next = keyFrom(readFileSync(nextPath, "utf8"), nextPath);
  const n = resealAll(db, current, next);
  renameSync(nextPath, keyPath);
  log.info("secret key rotated: a new key in the data folder, values re-sealed", {
    rows: n,
    keyId: next.keyId,
  });
  return next;
}
