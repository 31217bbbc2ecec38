// Secret folders on a real tmpfs (the test mounts one under a temporary folder and unmounts it).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { SecretFolders } from "./secret-files.ts";

const base = mkdtempSync(join(tmpdir(), "corral-secrets-"));
const root = join(base, "secrets");
afterAll(async () => {
  await execa("umount", [root], { reject: false });
  rmSync(base, { recursive: true, force: true });
});

test("files are written on a tmpfs with their owner and mode, and removed with the container", async () => {
  const folders = new SecretFolders(root);
  const dir = await folders.write("1i42", [
    { target: "token", uid: 1000, gid: 2000, mode: 0o440, value: Buffer.from("v1").toString("base64") },
  ]);
  expect(readFileSync("/proc/self/mounts", "utf8")).toContain(` ${root} tmpfs `);
  expect(statSync(root).mode & 0o777).toBe(0o700);
  const st = statSync(join(dir, "token"));
  expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 2000, 0o440]);
  expect(readFileSync(join(dir, "token"), "utf8")).toBe("v1");
  // A retried create gets the files afresh.
  await folders.write("1i42", [{ target: "token", uid: 0, gid: 0, mode: 0o400, value: btoa("v2") }]);
  expect(readFileSync(join(dir, "token"), "utf8")).toBe("v2");
  await folders.write("1i43", [{ target: "t", uid: 0, gid: 0, mode: 0o400, value: btoa("x") }]);
  await folders.remove("1i42");
  expect(() => statSync(dir)).toThrow();
  await folders.sweep(new Set());
  expect(() => statSync(join(root, "1i43"))).toThrow();
  expect(() => folders.folderOf("../etc")).toThrow(/bad container id/);
});
