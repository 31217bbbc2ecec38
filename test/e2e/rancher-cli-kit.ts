/**
 * The real Rancher 1.6 CLI for end-to-end tests: where it lives beside the repository and how a
 * test runs it against its environment (admin key, Default environment, a HOME of its own).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Env, repoRoot } from "./harness.ts";

/** The CLI binary (`../shared/tools/rancher-cli/rancher`). */
export const rancherCli = join(repoRoot, "..", "shared", "tools", "rancher-cli", "rancher");

/** Whether the binary is there (the tests that need it are skipped otherwise). */
export const rancherCliPresent = existsSync(rancherCli);

/** The CLI's argv for `args` against the test server, with the admin key and Default environment. */
export function rancherArgv(env: Env, args: string[]): string[] {
  return [
    rancherCli,
    "--url",
    env.server.url,
    "--access-key",
    env.adminKey.accessKey,
    "--secret-key",
    env.adminKey.secretKey,
    "--env",
    env.server.admin.defaultProjectId,
    ...args,
  ];
}

/** What a test gives the CLI's process: the working folder as its home, and the PATH. */
export function rancherEnv(work: string): Record<string, string | undefined> {
  return { HOME: work, PATH: process.env.PATH };
}
