// The set-up the credential probes share: one server with the probe failure limits, an admin client
// and an environment, and temporary folders removed at the end.
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@corral/server";
import { adminClient, type Client, createProject, fastTimings, type ProjectFixture } from "../api/harness.ts";

/**
 * The failure limits of the probes: the default burst (20) with a slow refill, so that 21 requests
 * in a row meet an empty bucket however slowly a loaded machine sends them (up to ~4 s). The
 * default refill (5/s) is checked against a clock in server/src/auth/rate-limit.test.ts.
 */
export const probeLimits = { perSecond: 0.25, burst: 20 };

/** What a probe file works with; filled by the file's `beforeAll`. */
export interface ProbeServer {
  server: RunningServer;
  admin: Client;
  project: ProjectFixture;
  /** A new temporary folder, removed after the file's tests. */
  tempDir(): string;
}

/** Registers the file's `beforeAll`/`afterAll` for a probe server; its fields are set once they ran. */
export function useProbeServer(): ProbeServer {
  const dirs: string[] = [];
  const probe = {
    tempDir() {
      const dir = mkdtempSync(join(tmpdir(), "corral-abuse-"));
      dirs.push(dir);
      return dir;
    },
  } as ProbeServer;
  beforeAll(async () => {
    probe.server = startServer({
      port: 0,
      hostname: "127.0.0.1",
      dataDir: null,
      timings: fastTimings,
      env: {},
      authFailureLimits: probeLimits,
    });
    probe.admin = adminClient(probe.server);
    probe.project = await createProject(probe.admin);
  });
  afterAll(async () => {
    await probe.server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return probe;
}
