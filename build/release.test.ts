/**
 * build/release.sh appends an uncompressed cpio (the release's /etc/os-release) to the image's
 * compressed initrd. The kernel reads a following archive as cpio only at a 4-byte aligned offset
 * and refuses it otherwise, so the appended archive must start aligned whatever the initrd's size.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const script = join(import.meta.dir, "release.sh");

describe("release.sh", () => {
  for (const size of [1000, 1001, 1002, 1003]) {
    test(`an initrd of ${size} bytes: the appended archive starts at a multiple of 4, zeros before it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "corral-release-"));
      try {
        const dist = join(dir, "dist");
        mkdirSync(dist);
        writeFileSync(join(dist, "vmlinuz"), "kernel");
        const initrd = Buffer.alloc(size, 0x28); // not a zero byte: the padding is told apart
        writeFileSync(join(dist, "initrd"), initrd);
        const out = join(dir, "r.tar");
        const run = await execa("bash", [script, "v-test", out], {
          env: { CORRAL_DIST: dist, CORRAL_BUILD_CACHE: join(dir, "cache"), CORRAL_SIGNING_KEY: "" },
          reject: false,
        });
        expect(run.exitCode, run.stderr).toBe(0);
        const unpacked = join(dir, "unpacked");
        mkdirSync(unpacked);
        await execa("tar", ["-C", unpacked, "-xf", out]);
        const packed = readFileSync(join(unpacked, "initrd"));
        const archive = packed.indexOf("070701", size);
        expect(archive % 4).toBe(0);
        expect(archive - size).toBeLessThan(4);
        expect(packed.subarray(0, size).equals(initrd)).toBe(true);
        expect([...packed.subarray(size, archive)].every((b) => b === 0)).toBe(true);
        expect(packed.subarray(archive).toString("latin1")).toContain("VERSION_ID=v-test");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
