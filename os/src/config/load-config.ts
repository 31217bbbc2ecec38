import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseYamlSource, type SourceProblem, sourceError, zodProblems } from "../yaml-source.ts";
import { parseCmdline } from "./cmdline.ts";
import { type CorralConfig, cloudConfigSchema } from "./config-schema.ts";
import { builtinDefaults, configPaths } from "./defaults.ts";
import { deepMerge, normalizeAlias } from "./merge.ts";

/** One layer of the merge, named for `corral config export --layers` and error messages. */
export interface ConfigLayer {
  name: string;
  file?: string;
  value: Record<string, unknown>;
}

/**
 * Parses and validates one cloud-config text; throws InvalidFormat with file:line:column.
 * Returns the document with `rancher:` folded into `corral:`.
 */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  const body = text.replace(/^#cloud-config[^\n]*\n?/, "");
  const source = parseYamlSource(body.trim() === "" ? "{}" : text, file);
  if (source.value === null || source.value === undefined) return {};
  if (typeof source.value !== "object" || Array.isArray(source.value)) {
    throw sourceError([{ ...source.locate([]), reason: "a cloud-config is a map of keys" }]);
  }
  const parsed = cloudConfigSchema.safeParse(source.value);
  if (!parsed.success) throw sourceError(zodProblems(source, parsed.error.issues));
  return normalizeAlias(source.value);
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Validates the cmdline layer; problems point at the word's column in /proc/cmdline. */
function cmdlineLayer(text: string, file: string): ConfigLayer {
  const { config } = parseCmdline(text);
  const parsed = cloudConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems: SourceProblem[] = parsed.error.issues.map((issue) => {
      const dotted = issue.path.map(String).join(".");
      const first = issue.path[1] !== undefined ? `.${String(issue.path[1])}` : "";
      const idx = Math.max(text.indexOf(`corral${first}`), text.indexOf(`rancher${first}`), 0);
      return { file, line: 1, column: idx + 1, reason: `${dotted}: ${issue.message}` };
    });
    throw sourceError(problems);
  }
  return { name: "cmdline", file, value: config };
}

/** Options of {@link loadConfigLayers}: a root prefix so tests and `config validate` use other trees. */
export interface LoadOptions {
  root?: string;
  /** Overrides /proc/cmdline (tests, or `corral config export` outside CorralOS). */
  cmdline?: string;
}

/** Reads every layer in merge order: defaults < OEM < cloud-config.d/*.yml < cloud-config.yml < cmdline. */
export function loadConfigLayers(options: LoadOptions = {}): ConfigLayer[] {
  const root = options.root ?? "/";
  const layers: ConfigLayer[] = [{ name: "defaults", value: builtinDefaults as Record<string, unknown> }];
  const problems: SourceProblem[] = [];
  const add = (name: string, file: string, text: string | undefined) => {
    if (text === undefined) return;
    try {
      layers.push({ name, file, value: parseConfigText(text, file) });
    } catch (e) {
      const detail = (e as { detail?: { problems?: SourceProblem[] } }).detail;
      if (detail?.problems) problems.push(...detail.problems);
      else throw e;
    }
  };
  add("oem", join(root, configPaths.oem), readOptional(join(root, configPaths.oem)));
  const dropIn = join(root, configPaths.dropInDir);
  let names: string[] = [];
  try {
    names = readdirSync(dropIn)
      .filter((n) => n.endsWith(".yml") || n.endsWith(".yaml"))
      .sort();
  } catch {}
  for (const n of names) add(`cloud-config.d/${n}`, join(dropIn, n), readOptional(join(dropIn, n)));
  add("cloud-config", join(root, configPaths.user), readOptional(join(root, configPaths.user)));
  const cmdlineFile = join(root, configPaths.cmdline);
  const cmdline = options.cmdline ?? readOptional(cmdlineFile);
  if (cmdline !== undefined) {
    try {
      layers.push(cmdlineLayer(cmdline, cmdlineFile));
    } catch (e) {
      const detail = (e as { detail?: { problems?: SourceProblem[] } }).detail;
      if (detail?.problems) problems.push(...detail.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw sourceError(problems);
  return layers;
}

/** Merges layers (maps deep, lists and scalars replaced) and validates the result. */
export function mergeLayers(layers: ConfigLayer[]): CorralConfig {
  let merged: unknown = {};
  for (const layer of layers) merged = deepMerge(merged, layer.value);
  const parsed = cloudConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw sourceError([{ file: "(merged config)", line: 1, column: 1, reason: reasons.join("; ") }]);
  }
  return parsed.data;
}

/** Loads and merges the whole config. */
export function loadConfig(options: LoadOptions = {}): CorralConfig {
  return mergeLayers(loadConfigLayers(options));
}
