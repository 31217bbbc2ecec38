import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@corral/server";

const corral = join(import.meta.dir, "..", "corral.ts");

function startIn(dir: string) {
  return startServer({ port: 0, hostname: "127.0.0.1", dataDir: dir, env: {} });
}

async function loginStatus(url: string, password: string): Promise<number> {
  const res = await fetch(`${url}/v2-beta/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: `admin:${password}` }),
  });
  await res.body?.cancel();
  return res.status;
}

test("corral server reset-admin prints a new admin password once, which then works", async () => {
  const dir = mkdtempSync(join(tmpdir(), "corral-cli-reset-"));
  try {
    const first = startIn(dir);
    const old = first.admin.password!;
    await first.stop();
    const run = Bun.spawnSync([process.execPath, corral, "server", "reset-admin", "--data", dir]);
    const out = run.stdout.toString();
    expect(run.exitCode).toBe(0);
    expect(out).toContain("username: admin");
    const password = /password: (\S+)/.exec(out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const again = startIn(dir);
    try {
      expect(again.admin.password).toBeNull();
      expect(await loginStatus(again.url, old)).toBe(401);
      expect(await loginStatus(again.url, password!)).toBe(201);
    } finally {
      await again.stop();
    }
    const missing = Bun.spawnSync([
      process.execPath,
      corral,
      "server",
      "reset-admin",
      "--data",
      join(dir, "none"),
    ]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.toString()).toContain("no Corral store");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
