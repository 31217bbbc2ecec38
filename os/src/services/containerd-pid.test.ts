import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStaleContainerdPid } from "./system-docker.ts";

/** An exec root whose containerd pidfile names `pid`, and a /proc where `pid` is in `state` (or absent). */
function tree(pid: string, state?: string) {
  const root = mkdtempSync(join(tmpdir(), "corral-sd-"));
  mkdirSync(join(root, "exec/containerd"), { recursive: true });
  writeFileSync(join(root, "exec/containerd/containerd.pid"), pid);
  if (state) {
    mkdirSync(join(root, "proc", pid), { recursive: true });
    writeFileSync(join(root, "proc", pid, "stat"), `${pid} (containerd) ${state} 1 ${pid} ${pid} 0 -1`);
  }
  const file = join(root, "exec/containerd/containerd.pid");
  return { remove: () => removeStaleContainerdPid(join(root, "exec"), join(root, "proc")), file };
}

describe("System Docker's containerd pidfile", () => {
  test("kept while containerd runs, so dockerd reuses it", () => {
    const t = tree("4242", "S");
    expect(t.remove()).toBe(false);
    expect(existsSync(t.file)).toBe(true);
  });

  test("removed when containerd is a zombie or gone, or the file is garbage", () => {
    for (const t of [tree("4242", "Z"), tree("4242"), tree("not a pid")]) {
      expect(t.remove()).toBe(true);
      expect(existsSync(t.file)).toBe(false);
    }
  });

  test("nothing to do without a pidfile", () => {
    expect(removeStaleContainerdPid(join(tmpdir(), "corral-no-such-exec-root"))).toBe(false);
  });
});
