import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarArchive } from "./tar.ts";

test("tar archives unpack with the system tar, folders and modes included", () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-tar-"));
  const big = "x".repeat(1500);
  writeFileSync(
    join(dir, "a.tar"),
    tarArchive([
      { path: "v1/haproxy.cfg", content: "global\n" },
      { path: "v1/certs/c.pem", content: big, mode: 0o600 },
    ]),
  );
  execFileSync("tar", ["-xf", join(dir, "a.tar"), "-C", dir]);
  expect(readFileSync(join(dir, "v1/haproxy.cfg"), "utf8")).toBe("global\n");
  expect(readFileSync(join(dir, "v1/certs/c.pem"), "utf8")).toBe(big);
  expect(statSync(join(dir, "v1/certs/c.pem")).mode & 0o777).toBe(0o600);
});
