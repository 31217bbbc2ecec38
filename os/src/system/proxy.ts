import type { CorralConfig } from "../config/config-schema.ts";

/**
 * `corral.network.{http_proxy,https_proxy,no_proxy}` as the environment Docker and most tools read,
 * both spellings (Go reads the upper-case names, curl and busybox wget the lower-case ones). Given
 * to System Docker (its pulls), User Docker (its service environment) and the console's
 * /etc/environment, as RancherOS applied them.
 */
export function proxyEnv(config: CorralConfig): Record<string, string> {
  const net = config.corral?.network;
  const env: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (!value) return;
    env[name.toUpperCase()] = value;
    env[name] = value;
  };
  set("http_proxy", net?.http_proxy);
  set("https_proxy", net?.https_proxy);
  set("no_proxy", net?.no_proxy);
  return env;
}
