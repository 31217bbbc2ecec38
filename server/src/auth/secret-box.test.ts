import { describe, expect, test } from "bun:test";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSecretBox, SecretBox, secretKeyFile } from "./secret-box.ts";

describe("SecretBox", () => {
  test("seals and opens; equal secrets seal differently; the plain text is not in the sealed value", () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const a = box.seal("hunter2");
    const b = box.seal("hunter2");
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
    expect(SecretBox.isSealed(a)).toBe(true);
    expect(box.open(a)).toBe("hunter2");
  });

  test("a value sealed under another key, or altered, is refused with a clear error", () => {
    const one = new SecretBox(Buffer.alloc(32, 1));
    const two = new SecretBox(Buffer.alloc(32, 2));
    const sealed = one.seal("s3cret");
    expect(() => two.open(sealed)).toThrow(/another server key/);
    const parts = sealed.split(":");
    // A different first character, whatever it was (replacing it with a fixed one was a no-op 1 time in 64).
    parts[3] = `${parts[3]!.startsWith("A") ? "B" : "A"}${parts[3]!.slice(1)}`;
    expect(() => one.open(parts.join(":"))).toThrow(/integrity/);
    expect(() => one.open("garbage")).toThrow(/not a sealed secret/);
  });

  test("the key file is created 0600 once and reused; the env var wins and is checked", () => {
    const dir = mkdtempSync(join(tmpdir(), "secret-box-"));
    const first = loadSecretBox(dir, {});
    expect(statSync(join(dir, secretKeyFile)).mode & 0o777).toBe(0o600);
    expect(loadSecretBox(dir, {}).open(first.seal("x"))).toBe("x");
    const fromEnv = loadSecretBox(dir, { CORRAL_DATA_KEY: Buffer.alloc(32, 9).toString("base64") });
    expect(() => fromEnv.open(first.seal("x"))).toThrow(/another server key/);
    expect(() => loadSecretBox(dir, { CORRAL_DATA_KEY: "c2hvcnQ=" })).toThrow(/32 bytes/);
  });
});
