import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrivateFile, securePrivateFolder } from "./data-folder.ts";

const root = mkdtempSync(join(tmpdir(), "corral-data-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe("securePrivateFolder", () => {
  test("creates a missing folder 0700", () => {
    const dir = join(root, "new", "data");
    securePrivateFolder(dir);
    expect(mode(dir)).toBe(0o700);
  });

  test("clears group and other bits of the folder and everything in it, keeping the owner's", () => {
    const dir = join(root, "old");
    mkdirSync(join(dir, "agent"), { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "agent"), 0o775);
    writeFileSync(join(dir, "corral.db"), "", { mode: 0o644 });
    writeFileSync(join(dir, "agent", "agent.json"), "{}", { mode: 0o666 });
    writeFileSync(join(dir, "hook.sh"), "", { mode: 0o755 });
    writeFileSync(join(dir, "readonly"), "", { mode: 0o444 });
    securePrivateFolder(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "agent"))).toBe(0o700);
    expect(mode(join(dir, "corral.db"))).toBe(0o600);
    expect(mode(join(dir, "agent", "agent.json"))).toBe(0o600);
    expect(mode(join(dir, "hook.sh"))).toBe(0o700);
    expect(mode(join(dir, "readonly"))).toBe(0o400);
  });

  test("leaves the targets of symbolic links alone", () => {
    const outside = join(root, "outside.txt");
    writeFileSync(outside, "", { mode: 0o644 });
    chmodSync(outside, 0o644);
    const dir = join(root, "linked");
    mkdirSync(dir);
    symlinkSync(outside, join(dir, "link"));
    securePrivateFolder(dir);
    expect(mode(outside)).toBe(0o644);
  });

  test("refuses a filesystem root", () => {
    expect(() => securePrivateFolder("/")).toThrow(/filesystem root/);
  });
});

describe("ensurePrivateFile", () => {
  test("creates a missing file 0600 whatever the umask, and fixes an existing one", () => {
    const previous = process.umask(0o000);
    try {
      const created = join(root, "created.db");
      ensurePrivateFile(created);
      expect(mode(created)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
    const existing = join(root, "existing.db");
    writeFileSync(existing, "data", { mode: 0o644 });
    ensurePrivateFile(existing);
    expect(mode(existing)).toBe(0o600);
  });
});
