import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import type { Host } from "./host.ts";

/** Loads `corral.modules` with modprobe; `name arg=value` lines pass module parameters. */
export async function loadModules(host: Host, config: CorralConfig): Promise<void> {
  for (const line of config.corral?.modules ?? []) {
    const [name, ...params] = line.split(/\s+/).filter(Boolean);
    if (name) await host.run("modprobe", [name, ...params]);
  }
}

/** Writes `corral.sysctl` into /proc/sys (`net.ipv4.ip_forward` → /proc/sys/net/ipv4/ip_forward). */
export function applySysctl(host: Host, config: CorralConfig): void {
  for (const [key, value] of Object.entries(config.corral?.sysctl ?? {})) {
    writeFileSync(join(host.root, "proc/sys", key.replace(/\./g, "/")), String(value));
  }
}
