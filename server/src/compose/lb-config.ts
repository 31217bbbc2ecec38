/**
 * lb_config keys are snake_case in rancher-compose.yml and camelCase in the API (portRules,
 * sourcePort, defaultCert, stickinessPolicy). The conversion is by rule, not by a list, so keys we
 * do not know yet survive the round trip too.
 */

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Port rule fields that are numbers; `${PORT}` interpolation leaves them as strings. */
const numericKeys = new Set(["sourcePort", "targetPort", "priority", "source_port", "target_port"]);

function convertKeys(value: unknown, f: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, f));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  // Other values are never touched: `config` holds raw haproxy.cfg text.
  for (const [k, v] of Object.entries(value)) {
    const key = f(k);
    out[key] =
      numericKeys.has(key) && typeof v === "string" && /^\d+$/.test(v) ? Number(v) : convertKeys(v, f);
  }
  return out;
}

/** rancher-compose `lb_config` → the model's camelCase lbConfig. */
export function lbConfigFromCompose(value: Record<string, unknown>): Record<string, unknown> {
  return convertKeys(value, camel) as Record<string, unknown>;
}

/** The model's lbConfig → rancher-compose `lb_config`. */
export function lbConfigToCompose(value: Record<string, unknown>): Record<string, unknown> {
  return convertKeys(value, snake) as Record<string, unknown>;
}
