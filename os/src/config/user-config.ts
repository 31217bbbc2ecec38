import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { configPaths } from "./defaults.ts";
import { parseConfigText } from "./load-config.ts";
import { setPath } from "./merge.ts";

/** Reads the user's cloud-config.yml under `root` (validated, `rancher:` folded into `corral:`). */
export function readUserConfig(root: string): Record<string, unknown> {
  const f = join(root, configPaths.user);
  return existsSync(f) ? parseConfigText(readFileSync(f, "utf8"), f) : {};
}

/**
 * Validates then writes cloud-config.yml under `root` (0600: it may hold tokens), through a
 * temporary file renamed into place, so a crash mid-write leaves the old file whole.
 */
export function saveUserConfig(root: string, doc: Record<string, unknown>): void {
  const text = `#cloud-config\n${stringify(doc)}`;
  parseConfigText(text, configPaths.user);
  const f = join(root, configPaths.user);
  mkdirSync(dirname(f), { recursive: true, mode: 0o700 });
  writeFileSync(`${f}.tmp`, text, { mode: 0o600 });
  renameSync(`${f}.tmp`, f);
}

/** Sets one dotted key (`corral.console`) in the user's cloud-config.yml. */
export function setUserConfigKey(root: string, path: string, value: unknown): void {
  saveUserConfig(root, setPath(readUserConfig(root), path, value));
}
