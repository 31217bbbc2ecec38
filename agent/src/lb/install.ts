import type { DockerDriver } from "../driver.ts";
import { healthPort } from "./render.ts";

/** Where configs live inside an LB container: haproxy.cfg (the one the master loads) and <id>/ dirs. */
export const configRoot = "/etc/haproxy";

/** What an exec printed and how it ended. */
export interface ExecResult {
  code: number | undefined;
  output: string;
}

/** Runs a command in a container to its end, collecting its output. */
export async function runIn(driver: DockerDriver, dockerId: string, command: string[]): Promise<ExecResult> {
  let output = "";
  const decoder = new TextDecoder();
  const handle = await driver.exec(dockerId, { command, tty: false, attachStdin: false }, (chunk) => {
    output += decoder.decode(chunk, { stream: true });
  });
  const code = await handle.done;
  return { code, output };
}

/** The outcome of installing one config. */
export type InstallResult =
  | { ok: true }
  /** HAProxy refused the config (`message` is its own words); the running config stays. */
  | { ok: false; refused: true; message: string }
  /** Something else failed (exec, reload not confirmed): worth retrying. */
  | { ok: false; refused: false; message: string };

/** HAProxy's complaint from `haproxy -c` output: its ALERT lines, without the pid noise. */
export function haproxyMessage(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const alerts = lines.filter((l) => l.startsWith("[ALERT]"));
  return (alerts.length > 0 ? alerts : lines)
    .map((l) => l.replace(/^\[(ALERT|WARNING|NOTICE)\]\s*\(\d+\)\s*:\s*/, "[$1] "))
    .join("\n");
}

/** Options of installConfig. */
export interface InstallOptions {
  /** How long to wait for the reloaded HAProxy to answer the new config id (default 10 s). */
  confirmTimeoutMs?: number;
}

/**
 * Installs a rendered config in a running LB container: writes it and its files to a fresh
 * <id>/ folder, validates it with the container's own `haproxy -c`, and only when valid renames it
 * over haproxy.cfg and sends SIGUSR2 to the master (PID 1) for a seamless reload. The reload is
 * confirmed by asking the health listener which config it serves: a signal sent in the instant
 * after a (re)start, before HAProxy installed its handlers, is lost, so it is sent again.
 */
export async function installConfig(
  driver: DockerDriver,
  dockerId: string,
  rendered: { id: string; config: string; files: Record<string, string> },
  options: InstallOptions = {},
): Promise<InstallResult> {
  const dir = `${configRoot}/${rendered.id}`;
  const entries = [
    { path: `${rendered.id}/haproxy.cfg`, content: rendered.config },
    // Keys are in the PEMs: readable by root only.
    ...Object.entries(rendered.files).map(([path, content]) => ({
      path: `${rendered.id}/${path}`,
      content,
      mode: 0o600,
    })),
  ];
  await driver.writeFiles(dockerId, configRoot, entries);
  // Check, swap, reload and confirm in ONE exec: each Docker exec is a round trip of tens of ms,
  // and with 1,000 backends the whole apply must stay under half a second.
  const id = rendered.id;
  const polls = Math.max(1, Math.ceil((options.confirmTimeoutMs ?? 10_000) / 50));
  const script = [
    `cd ${configRoot}`,
    `if ! out=$(/usr/sbin/haproxy -c -f ${dir}/haproxy.cfg 2>&1); then echo "$out"; rm -rf ${dir}; exit ${refusedCode}; fi`,
    // rename() is atomic: the master re-reads either the old file or the new one, never half of one.
    `cp ${id}/haproxy.cfg .haproxy.cfg.new && mv .haproxy.cfg.new haproxy.cfg || exit 1`,
    "kill -USR2 1",
    // Older <id>/ folders go: the workers that used them loaded their certificates at start.
    `for d in */; do [ "$d" = "${id}/" ] || rm -rf "$d"; done`,
    // A signal sent in the instant after a (re)start, before HAProxy installed its handlers, is
    // lost: ask the health listener which config it serves, and signal again every second.
    `i=0; while [ $i -lt ${polls} ]; do`,
    `  [ "$(wget -q -O- http://127.0.0.1:${healthPort}/config 2>/dev/null)" = "${id}" ] && exit 0`,
    "  i=$((i+1)); [ $((i % 20)) -eq 0 ] && kill -USR2 1",
    "  usleep 50000",
    "done",
    `exit ${unconfirmedCode}`,
  ].join("\n");
  const result = await runIn(driver, dockerId, ["sh", "-c", script]);
  if (result.code === 0) return { ok: true };
  if (result.code === refusedCode)
    return { ok: false, refused: true, message: haproxyMessage(result.output) };
  if (result.code === unconfirmedCode) {
    return { ok: false, refused: false, message: "haproxy did not confirm the reload in time" };
  }
  return { ok: false, refused: false, message: `install failed: ${result.output.trim()}` };
}

/** Exit codes of the install script: HAProxy refused the config; the reload was not confirmed. */
const refusedCode = 3;
const unconfirmedCode = 4;
