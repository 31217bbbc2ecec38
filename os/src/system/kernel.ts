import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "./host.ts";

/**
 * Loads `corral.modules` with modprobe; `name arg=value` lines pass module parameters. Modules
 * without parameters go in one `modprobe -a` (one process instead of dozens: seconds of boot under
 * emulation); if that fails they are loaded one by one, so the error names the module.
 */
export async function loadModules(host: Host, config: CorralConfig): Promise<void> {
  const plain: string[] = [];
  const withParams: string[][] = [];
  for (const line of config.corral?.modules ?? []) {
    const words = line.split(/\s+/).filter(Boolean);
    if (words.length === 1) plain.push(words[0]!);
    else if (words.length > 1) withParams.push(words);
  }
  if (plain.length > 0) {
    try {
      await host.run("modprobe", ["-a", ...plain]);
    } catch {
      for (const name of plain) await host.run("modprobe", [name]);
    }
  }
  for (const [name, ...params] of withParams) await host.run("modprobe", [name!, ...params]);
}

/** Writes `corral.sysctl` into /proc/sys (`net.ipv4.ip_forward` → /proc/sys/net/ipv4/ip_forward). */
export function applySysctl(host: Host, config: CorralConfig): void {
  for (const [key, value] of Object.entries(config.corral?.sysctl ?? {})) {
    writeFileSync(join(host.root, "proc/sys", key.replace(/\./g, "/")), String(value));
  }
}
