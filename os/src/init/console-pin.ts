import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import { loadConfig } from "../config/load-config.ts";
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

/** One console as `corral console list` shows it. */
export interface ConsoleInfo {
  name: string;
  persistent: boolean;
  description?: string;
}

/** The consoles, this boot's (when one runs) and the one the config chooses for the next boots. */
export interface ConsoleState {
  current?: string;
  next: string;
  consoles: ConsoleInfo[];
}

/** The console state under `root`, with `current` as the caller knows it (PID 1: the pinned one). */
export function consoleState(root: string, servicesDir: string, current?: string): ConsoleState {
  const consoles = shippedConsoles(servicesDir).map((s) => ({
    name: s.console!,
    persistent: s.persistent,
    ...(s.description ? { description: s.description } : {}),
  }));
  return { current, next: chosenConsole(loadConfig({ root })), consoles };
}

/** Throws, listing the consoles there are, unless `name` is one of `consoles`. */
export function checkConsoleName(consoles: readonly { name: string }[], name: string): void {
  if (!consoles.some((c) => c.name === name))
    throw new Error(`no console '${name}' (have: ${consoles.map((c) => c.name).join(", ") || "none"})`);
}

/**
 * `corral console enable|switch`: saves `name` as `corral.console` in the user's cloud-config.yml
 * (the next boots' console) and, with `now`, pins it for this boot too, so the next reconcile
 * switches. An unknown name throws and changes nothing.
 */
export function chooseConsole(root: string, servicesDir: string, name: string, now: boolean): void {
  checkConsoleName(
    shippedConsoles(servicesDir).map((s) => ({ name: s.console! })),
    name,
  );
  setUserConfigKey(root, "corral.console", name);
  if (now) pinConsole(join(root, consolePinPath), name);
}
