/**
 * Reading the compose files `corral up` sends: which files, merging several docker-compose files as
 * docker-compose does, the variables they use, `--env-file`, and what the CLI itself needs to know
 * (service names and scales). Parsing and validation proper happen on the server, which answers
 * with `file:line:column` errors.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { UsageError } from "./cli.ts";

/** The compose files of a stack, as sent to the server. */
export interface ComposeFiles {
  dockerCompose: string;
  rancherCompose: string;
  /** The files the texts came from, for error messages. */
  dockerFiles: string[];
  rancherFiles: string[];
}

function read(cwd: string, file: string): string {
  const path = resolve(cwd, file);
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(code === "ENOENT" ? `${file}: no such file` : `${file}: ${(e as Error).message}`);
  }
}

/**
 * Picks the files: `-f` files whose name contains "rancher-compose" are rancher files, the others
 * docker-compose files; unnamed kinds default to docker-compose.yml (or .yaml) in the working folder
 * and rancher-compose.yml next to the first docker-compose file, when present.
 */
export function loadComposeFiles(cwd: string, files: string[]): ComposeFiles {
  const rancherFiles = files.filter((f) => basename(f).includes("rancher-compose"));
  const dockerFiles = files.filter((f) => !basename(f).includes("rancher-compose"));
  if (dockerFiles.length === 0) {
    const found = ["docker-compose.yml", "docker-compose.yaml"].find((f) => existsSync(join(cwd, f)));
    if (!found) throw new UsageError(`no docker-compose.yml in ${cwd}: name the compose file with -f`);
    dockerFiles.push(found);
  }
  if (rancherFiles.length === 0) {
    const dir = dirname(dockerFiles[0]!);
    const found = ["rancher-compose.yml", "rancher-compose.yaml"]
      .map((f) => (dir === "." ? f : join(dir, f)))
      .find((f) => existsSync(resolve(cwd, f)));
    if (found) rancherFiles.push(found);
  }
  return {
    dockerCompose: merged(cwd, dockerFiles),
    rancherCompose: rancherFiles.length > 0 ? merged(cwd, rancherFiles) : "",
    dockerFiles,
    rancherFiles,
  };
}

/** One file is sent verbatim (so error positions are the user's); several are merged. */
function merged(cwd: string, files: string[]): string {
  const texts = files.map((f) => read(cwd, f));
  if (texts.length === 1) return texts[0]!;
  let out: unknown = {};
  texts.forEach((text, i) => {
    let doc: unknown;
    try {
      doc = parse(text, { merge: true });
    } catch (e) {
      throw new UsageError(`${files[i]}: ${(e as Error).message.split("\n")[0]}`);
    }
    out = mergeCompose(out, doc ?? {});
  });
  return stringify(out);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Service keys whose lists add up across files (docker-compose's override rules). */
const concatKeys = new Set([
  "ports",
  "expose",
  "external_links",
  "dns",
  "dns_search",
  "tmpfs",
  "cap_add",
  "cap_drop",
]);
/** Service keys merged by key: `KEY=value` lists and maps alike. */
const keyedKeys = new Set(["environment", "labels", "extra_hosts", "sysctls"]);
/** Service keys merged by the mount's target path. */
const mountKeys = new Set(["volumes", "devices"]);

/** Merges an override file into a base, as `docker-compose -f a.yml -f b.yml` does. */
export function mergeCompose(base: unknown, override: unknown): unknown {
  if (!isObj(base) || !isObj(override)) return override;
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (key === "services" && isObj(out.services) && isObj(value)) {
      const services: Obj = { ...out.services };
      for (const [name, svc] of Object.entries(value)) services[name] = mergeService(services[name], svc);
      out.services = services;
    } else if (isObj(out[key]) && isObj(value)) out[key] = { ...(out[key] as Obj), ...value };
    else out[key] = value;
  }
  return out;
}

function mergeService(base: unknown, override: unknown): unknown {
  if (!isObj(base) || !isObj(override)) return override ?? base;
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    if (concatKeys.has(key) && Array.isArray(prev) && Array.isArray(value))
      out[key] = [...new Set([...prev, ...value])];
    else if (keyedKeys.has(key) && prev !== undefined) out[key] = { ...asMap(prev), ...asMap(value) };
    else if (mountKeys.has(key) && Array.isArray(prev) && Array.isArray(value)) {
      const byTarget = new Map<string, unknown>();
      for (const m of [...prev, ...value]) byTarget.set(mountTarget(m), m);
      out[key] = [...byTarget.values()];
    } else if (isObj(prev) && isObj(value)) out[key] = mergeCompose(prev, value);
    else out[key] = value;
  }
  return out;
}

function asMap(v: unknown): Obj {
  if (isObj(v)) return v;
  if (!Array.isArray(v)) return {};
  const out: Obj = {};
  for (const item of v) {
    const s = String(item);
    const eq = s.search(/[=:]/);
    if (eq < 0) out[s] = null;
    else out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

function mountTarget(m: unknown): string {
  if (isObj(m)) return String(m.target ?? JSON.stringify(m));
  const parts = String(m).split(":");
  return parts.length >= 2 && !/^(ro|rw|z|Z)$/.test(parts[1]!) ? parts[1]! : parts[0]!;
}

/** Names of the variables the texts use (`$VAR`, `${VAR}`, `${VAR:-x}`...; `$$` is an escape). */
export function referencedVariables(...texts: string[]): string[] {
  const names = new Set<string>();
  for (const text of texts) {
    const unescaped = text.replace(/\$\$/g, "");
    for (const m of unescaped.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Reads an env file: `KEY=value` lines, `#` comments, optional `export ` and matching quotes. */
export function readEnvFile(cwd: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  read(cwd, file)
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("#")) return;
      const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
      if (!m) throw new UsageError(`${file}:${i + 1}: expected KEY=value, got '${line.slice(0, 60)}'`);
      let value = m[2]!;
      const q = value[0];
      if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
      else value = value.replace(/\s+#.*$/, "");
      out[m[1]!] = value;
    });
  return out;
}

/**
 * The environment stored with the stack: the variables the files use, from the process
 * environment, plus every variable of the env file (which wins). Only used variables are sent, so
 * the shell's unrelated secrets (the API key itself) never reach the server.
 */
export function stackEnvironment(
  files: ComposeFiles,
  env: Record<string, string | undefined>,
  envFile: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of referencedVariables(files.dockerCompose, files.rancherCompose)) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return { ...out, ...envFile };
}

/** Parses YAML leniently: the server reports syntax errors with positions, not the CLI. */
function tryParse(text: string): unknown {
  try {
    return parse(text, { merge: true });
  } catch {
    return null;
  }
}

/** The services section of a compose document (v2/v3 `services:`, or v1 top-level names). */
function servicesOf(doc: unknown): Obj {
  if (!isObj(doc)) return {};
  if ("services" in doc || "version" in doc) return isObj(doc.services) ? doc.services : {};
  return doc;
}

/** Service names of the docker-compose text. */
export function serviceNames(dockerCompose: string): string[] {
  return Object.keys(servicesOf(tryParse(dockerCompose))).filter((n) => !n.startsWith("x-"));
}

/** `scale:` of each service in the rancher-compose text (after `${VAR}` substitution). */
export function rancherScales(rancherCompose: string, env: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, svc] of Object.entries(servicesOf(tryParse(rancherCompose)))) {
    if (!isObj(svc) || svc.scale === undefined) continue;
    const text = String(svc.scale).replace(
      /\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}?/g,
      (_m, v: string, d?: string) => env[v] || d || "",
    );
    const n = Number(text);
    if (text !== "" && Number.isInteger(n) && n >= 0) out.set(name, n);
  }
  return out;
}

/**
 * The rancher-compose text with `upgrade_strategy` set for every service (`--batch-size`,
 * `--interval`), as rancher-compose's flags did. Other content is kept.
 */
export function withUpgradeStrategy(
  files: ComposeFiles,
  strategy: { batchSize?: number; intervalMillis?: number },
): string {
  if (strategy.batchSize === undefined && strategy.intervalMillis === undefined) return files.rancherCompose;
  const doc = tryParse(files.rancherCompose);
  const root: Obj = isObj(doc) ? doc : {};
  const v1 = !("services" in root || "version" in root) && Object.keys(root).length > 0;
  const services: Obj = v1 ? root : isObj(root.services) ? root.services : {};
  for (const name of serviceNames(files.dockerCompose)) {
    const svc: Obj = isObj(services[name]) ? (services[name] as Obj) : {};
    const current: Obj = isObj(svc.upgrade_strategy) ? svc.upgrade_strategy : {};
    svc.upgrade_strategy = {
      ...current,
      ...(strategy.batchSize !== undefined ? { batch_size: strategy.batchSize } : {}),
      ...(strategy.intervalMillis !== undefined ? { interval_millis: strategy.intervalMillis } : {}),
    };
    services[name] = svc;
  }
  return stringify(v1 ? services : { ...root, version: root.version ?? "2", services });
}
