import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import { setUserConfigKey } from "../config/user-config.ts";
import { chosenConsole } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import type { ServiceSpec } from "../services/service-schema.ts";

/**
 * The console of this boot, under the root: on tmpfs, so gone at reboot. `corral console enable`
 * changes only the config (the next boot's choice); this file keeps every reconcile of this boot on
 * the console it started with, until `corral console switch` writes it.
 */
export const consolePinPath = "run/corral/console";

/** Reads the console pinned for this boot, if any. */
export function readPinnedConsole(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Pins `name` as this boot's console (`corral console switch`, or the boot's first reconcile). */
export function pinConsole(file: string, name: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${name}\n`);
}

/**
 * `config` with `corral.console` set to this boot's console: the pinned one, else the config's
 * choice, which is then pinned (the first reconcile of a boot).
 */
export function withBootConsole(root: string, config: CorralConfig): CorralConfig {
  const file = join(root, consolePinPath);
  let name = readPinnedConsole(file);
  if (name === undefined) {
    name = chosenConsole(config);
    pinConsole(file, name);
  }
  return { ...config, corral: { ...config.corral, console: name } };
}

/** The consoles in a system-services folder: services with a `console:` name, by name. */
export function shippedConsoles(servicesDir: string): ServiceSpec[] {
  return loadServiceDir(servicesDir)
    .filter((s) => s.console !== undefined)
    .sort((a, b) => a.console!.localeCompare(b.console!));
}

/** The console service named `name`; an error listing the others when there is none. */
export function findConsole(servicesDir: string, name: string): ServiceSpec {
  const all = shippedConsoles(servicesDir);
  const found = all.find((s) => s.console === name);
  if (!found)
    throw new Error(`no console '${name}' (have: ${all.map((s) => s.console).join(", ") || "none"})`);
  return found;
}

/**
 * `corral console enable|switch`: saves `name` as `corral.console` in the user's cloud-config.yml
 * (the next boots' console) and, with `now`, pins it for this boot too, so the next reconcile
 * switches. An unknown name throws and changes nothing.
 */
export function chooseConsole(root: string, servicesDir: string, name: string, now: boolean): void {
  findConsole(servicesDir, name);
  setUserConfigKey(root, "corral.console", name);
  if (now) pinConsole(join(root, consolePinPath), name);
}
