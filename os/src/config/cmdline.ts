import { parse as parseYaml } from "yaml";
import { deepMerge, fromPath } from "./merge.ts";

/** What the kernel command line says to CorralOS. */
export interface Cmdline {
  /** Every word, unquoted, in order (including those after `--`). */
  words: string[];
  /** `corral.*` / `rancher.*` keys as a config layer (rancher folded into corral). */
  config: Record<string, unknown>;
  /** `cloud-config-url=` if given (RancherOS name). */
  cloudConfigUrl?: string;
  /** Any other `key=value` or bare flag, last one wins (console=, panic=, ...). */
  params: Record<string, string>;
}

/**
 * Splits a command line as the kernel does: whitespace separates words, double quotes group
 * (`corral.environment.MOTD="hello world"`); the quotes themselves are removed.
 */
export function splitCmdline(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inQuote = false;
  let has = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && /\s/.test(ch)) {
      if (has) words.push(current);
      current = "";
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (has) words.push(current);
  return words;
}

/**
 * Reads a value as YAML so `[8.8.8.8]` is a list, `true` a boolean and `5` a number (RancherOS
 * semantics); text that is not valid YAML stays a string rather than failing the boot.
 */
export function parseCmdlineValue(raw: string): unknown {
  try {
    const v = parseYaml(raw);
    // A number that does not print back the same (a token like 0123, a version 1.10) stays text.
    if (typeof v === "number" && String(v) !== raw) return raw;
    return v === null && raw !== "" && raw !== "null" && raw !== "~" ? raw : v;
  } catch {
    return raw;
  }
}

/** Parses /proc/cmdline text. A bare `corral.x` flag means `true`, as in RancherOS. */
export function parseCmdline(text: string): Cmdline {
  const words = splitCmdline(text);
  let config: Record<string, unknown> = {};
  const params: Record<string, string> = {};
  let cloudConfigUrl: string | undefined;
  for (const word of words) {
    if (word === "--") continue;
    const eq = word.indexOf("=");
    const key = eq < 0 ? word : word.slice(0, eq);
    const raw = eq < 0 ? undefined : word.slice(eq + 1);
    if (/^(corral|rancher)\.[A-Za-z0-9_.-]+$/.test(key) && !key.endsWith(".")) {
      const value = raw === undefined ? true : parseCmdlineValue(raw);
      const path = key.startsWith("rancher.") ? `corral.${key.slice(8)}` : key;
      config = deepMerge(config, fromPath(path, value)) as Record<string, unknown>;
    } else if (key === "cloud-config-url" && raw) {
      cloudConfigUrl = raw;
    } else {
      params[key] = raw ?? "";
    }
  }
  return { words, config, params, ...(cloudConfigUrl ? { cloudConfigUrl } : {}) };
}
