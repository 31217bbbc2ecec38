/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A small structured logger: one line per entry, `time level [scope] message key=value`. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

function threshold(): number {
  const level = (process.env.CORRAL_LOG_LEVEL ?? "info") as LogLevel;
  return order[level] ?? order.info;
}

function render(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  let out = "";
  for (const [k, v] of Object.entries(fields)) {
    const text = v instanceof Error ? v.message : typeof v === "string" ? v : JSON.stringify(v);
    out += ` ${k}=${text}`;
  }
  return out;
}

/** A level set at run time for every logger, created before or after (PID 1's `corral.debug`). */
let override: number | undefined;

/** Sets the level of every logger of this process, over CORRAL_LOG_LEVEL; undefined goes back to it. */
export function setLogLevel(level: LogLevel | undefined): void {
  override = level === undefined ? undefined : order[level];
}

/** Creates a logger writing to stderr, filtered by CORRAL_LOG_LEVEL (default info) or {@link setLogLevel}. */
export function createLogger(scope: string): Logger {
  const min = threshold();
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < (override ?? min)) return;
    process.stderr.write(`${new Date().toISOString()} ${level} [${scope}] ${message}${render(fields)}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (sub) => createLogger(`${scope}.${sub}`),
  };
}
