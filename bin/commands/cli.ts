/**
 * What the user commands (`up`, `ps`, `logs`, `scale`, `rm`) share: injectable I/O, flag parsing
 * with the connection flags, turning errors into messages and exit codes, and table output.
 */
import { basename } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ApiClient, ApiError, type ProjectClient } from "./client.ts";

/** Where a command reads its environment and writes its output (tests pass their own). */
export interface Io {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** The process environment (credentials, compose variables). */
  env: Record<string, string | undefined>;
  /** The working folder (default compose files, default stack name). */
  cwd: string;
  /** Aborted on Ctrl-C: long waits and `logs -f` stop. */
  signal?: AbortSignal;
  /** Poll interval while waiting for the server, in ms (tests shorten it). */
  pollMs?: number;
}

/** The real process's I/O. */
export function processIo(): Io {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}

/** A mistake in the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An expected failure (exit code 1), printed as is. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/** Flags every user command takes: where the server is, the key, the environment and the stack. */
export const connectionFlags = {
  url: { type: "string" },
  "access-key": { type: "string" },
  "secret-key": { type: "string" },
  project: { type: "string" },
} as const;

/** Parsed flags: strings, booleans and string lists (`multiple: true`). */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Parses argv; answers null after printing the help text for `--help`. Bad flags throw a UsageError. */
export function parseCommand(
  io: Io,
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  help: string,
): { values: FlagValues; positionals: string[] } | null {
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...connectionFlags, ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }) as { values: FlagValues; positionals: string[] };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.values.help) {
    io.out(help);
    return null;
  }
  return parsed;
}

/** A string flag's value. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A non-negative number flag, or the default. */
export function num(values: FlagValues, name: string, fallback: number): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} needs a number, got '${v}'`);
  return n;
}

/** The API client from flags, then CORRAL_* and RANCHER_* variables; default URL localhost:8080. */
export function connect(io: Io, values: FlagValues): ApiClient {
  const pick = (flag: string, name: string) =>
    str(values, flag) || io.env[`CORRAL_${name}`] || io.env[`RANCHER_${name}`] || undefined;
  const url = pick("url", "URL") ?? "http://localhost:8080";
  const accessKey = pick("access-key", "ACCESS_KEY");
  const secretKey = pick("secret-key", "SECRET_KEY");
  if (!accessKey || !secretKey) {
    throw new UsageError(
      "no API key: pass --access-key and --secret-key, or set CORRAL_ACCESS_KEY and CORRAL_SECRET_KEY",
    );
  }
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  // The v1/v2-beta suffix Rancher users often keep in RANCHER_URL: the client adds its own.
  return new ApiClient({ url: url.replace(/\/+(v1|v2-beta)(\/.*)?$/, ""), accessKey, secretKey });
}

/** The environment named by --project or CORRAL_PROJECT, else Default. */
export function openProject(io: Io, values: FlagValues): Promise<ProjectClient> {
  const api = connect(io, values);
  return api.project(str(values, "project") || io.env.CORRAL_PROJECT || io.env.RANCHER_ENVIRONMENT);
}

/** A folder name as a stack name: lowercase letters, digits and '-', as the server requires. */
export function stackNameOf(folder: string): string {
  const name = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name || "default";
}

/** The stack named by -p, else the one named after the working folder. */
export function stackArg(io: Io, values: FlagValues): string {
  return str(values, "stack") || io.env.COMPOSE_PROJECT_NAME || stackNameOf(io.cwd);
}

/** Compose errors (`detail: [{file, line, column, path, message}]`) as `file:line:column: reason`. */
export function errorLines(e: ApiError, fileNames: (file: string) => string = (f) => f): string[] {
  const issues = Array.isArray(e.detail) ? (e.detail as unknown[]) : [];
  const lines = issues.flatMap((i) => {
    const d = i as { file?: unknown; line?: unknown; column?: unknown; path?: unknown; message?: unknown };
    if (typeof d.file !== "string" || typeof d.message !== "string") return [];
    const where = `${fileNames(d.file)}:${Number(d.line) || 1}:${Number(d.column) || 1}`;
    return [`${where}: ${typeof d.path === "string" && d.path ? `${d.path}: ` : ""}${d.message}`];
  });
  return lines.length > 0 ? lines : [e.message];
}

/**
 * Runs a command body: usage errors print the hint and answer 2, expected failures (API errors,
 * CommandError) print one message and answer 1; anything else is a bug and keeps its stack.
 */
export async function runCommand(
  io: Io,
  name: string,
  body: () => Promise<number>,
  fileNames?: (file: string) => string,
): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`corral ${name}: ${e.message}\nrun 'corral ${name} --help' for its options\n`);
      return 2;
    }
    if (e instanceof ApiError) {
      for (const line of errorLines(e, fileNames)) io.err(`corral ${name}: ${line}\n`);
      return 1;
    }
    if (e instanceof CommandError) {
      io.err(`corral ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Renders rows as left-aligned columns under a header, like `docker ps`. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Sleeps, or stops early when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
