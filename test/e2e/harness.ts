/**
 * Shared helpers of the end-to-end tests: a real Corral server started in this process, a real agent
 * started as a separate `corral agent` process (exactly as users run it), the real Docker engine
 * through the docker CLI, and small polling/API/stream helpers. Every Docker container a test makes
 * carries the run's name prefix so `removeDockerLeftovers` can clean up after a failed run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRegistrationToken, type RunningServer, startServer } from "@corral/server";
import type { Subprocess } from "bun";
import { Api, waitFor } from "./api-client.ts";

export {
  Api,
  type ApiAnswer,
  type Resource,
  readStream,
  type StreamOptions,
  type StreamResult,
  waitFor,
} from "./api-client.ts";

/** The repository root, derived from this file's location. */
export const repoRoot = join(import.meta.dir, "..", "..");
/** The Bun executable running the tests; it also runs the agent process. */
export const bunPath = process.execPath;
/** The image every e2e container uses (present locally; nothing can be pulled). */
export const testImage = "corral/busybox:latest";
/** A command that runs until stopped and exits at once on SIGTERM (a bare PID 1 `sleep` ignores it). */
export const sleepCommand = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];
/** A name prefix unique to this test run, for containers and temporary folders. */
export const runPrefix = `e2e-${Math.random().toString(36).slice(2, 8)}-`;
/**
 * Fast liveness timings, so reconnecting/disconnected are reached in seconds, with slack for a
 * loaded 2-core machine: an agent starved for several seconds must not lose its host (with 6 s to
 * disconnected, an agent at a load of ~30 was dropped with its creates in flight).
 */
export const fastTimings = { pingIntervalMs: 500, reconnectingAfterMs: 5000, disconnectedAfterMs: 12_000 };

/** Output of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI and waits for it. */
export async function docker(...args: string[]): Promise<CommandResult> {
  const proc = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

/** `docker inspect` of one container, or null when Docker does not know it. */
// biome-ignore lint/suspicious/noExplicitAny: docker's inspect JSON is wide and only read in tests.
export async function dockerInspect(ref: string): Promise<any | null> {
  const r = await docker("inspect", "--type", "container", ref);
  if (r.code !== 0) return null;
  return JSON.parse(r.stdout)[0] ?? null;
}

/** Force-removes every Docker container whose name carries this run's prefix. */
export async function removeDockerLeftovers(): Promise<void> {
  const ids = (await docker("ps", "-aq", "--filter", `name=${runPrefix}`)).stdout.split("\n").filter(Boolean);
  if (ids.length > 0) await docker("rm", "-f", ...ids);
  // The published ports of containers removed behind the agent's back stay in its nat chains until
  // an agent rebuilds them; a later test's server that happens to listen on such a port is then sent
  // to a dead container address (EHOSTUNREACH on 127.0.0.1). The next agent rebuilds its chains whole.
  for (const chain of ["CORRAL-PREROUTING", "CORRAL-OUTPUT", "CORRAL-POSTROUTING"]) {
    Bun.spawnSync(["iptables", "-t", "nat", "-F", chain], { stdout: "ignore", stderr: "ignore" });
  }
}

/** A TCP port that was free a moment ago (to restart a server on the same port). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** The `docker ps` name for a Corral container name in this run. */
export function uniqueName(label: string): string {
  return `${runPrefix}${label}-${Math.random().toString(36).slice(2, 6)}`;
}

/** A running `corral agent` process. */
export interface AgentProcess {
  proc: Subprocess;
  /** Sends SIGKILL (a crash) and waits for the process to end. */
  crash(): Promise<void>;
  /** Sends SIGTERM (a clean stop) and waits for the process to end. */
  stop(): Promise<void>;
}

/** Starts `bun bin/corral.ts agent` against `url`; its output goes to `logPath`. */
export function spawnAgent(url: string, token: string, stateDir: string, logPath: string): AgentProcess {
  const proc = Bun.spawn(
    [
      bunPath,
      join(repoRoot, "bin", "corral.ts"),
      "agent",
      "--url",
      url,
      "--token",
      token,
      "--state",
      stateDir,
    ],
    { cwd: repoRoot, stdout: Bun.file(logPath), stderr: Bun.file(`${logPath}.err`), env: { ...process.env } },
  );
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await proc.exited;
  };
  return { proc, crash: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}

/**
 * Moves the store's id sequence to `base`, so this server's hosts and containers get ids no other
 * Corral on this Docker engine uses. Every fresh store numbers from 1, and agents find containers by
 * the `io.corral.container.id` label alone, so two Corral installs on one engine (other test suites,
 * or a reinstall) act on each other's containers; `reinstall.test.ts` shows that bug.
 */
export function skipIds(server: RunningServer, base: number): void {
  server.store.db.run("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'resource'", [base]);
}

/** A server, one agent process and a host, ready for containers. */
export interface Env {
  /** Where this store's id sequence was moved to (see skipIds). */
  idBase: number;
  server: RunningServer;
  api: Api;
  agent: AgentProcess;
  hostId: string;
  token: string;
  /** Temporary folder of this environment (data dir, agent state, logs). */
  dir: string;
  dataDir: string;
  stateDir: string;
  adminKey: { accessKey: string; secretKey: string };
  /** Starts a server again on the same data dir and port (after `server.stop()`). */
  restartServer(): RunningServer;
  /** Starts a new agent process with the same state dir. */
  restartAgent(): AgentProcess;
  /** Stops agent and server, removes the temporary folder (Docker cleanup is separate). */
  stop(): Promise<void>;
}

/**
 * Starts a server on a fixed free port with a SQLite data dir, then an agent, and waits for an active
 * host. `acmeRetryBaseMs` shortens the wait before a failed ACME order is tried again.
 */
export async function startEnv(
  options: {
    idBase?: number;
    serverEnv?: Record<string, string>;
    acmeRetryBaseMs?: number;
    /** A built web UI to serve (the browser tests build one per run). */
    uiDir?: string;
  } = {},
): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), runPrefix));
  const dataDir = join(dir, "data");
  const stateDir = join(dir, "agent");
  const adminKey = {
    accessKey: `E2E${runPrefix.slice(4, 10).toUpperCase()}ADMIN`,
    secretKey: `s${crypto.randomUUID()}`,
  };
  const port = freePort();
  const boot = () =>
    startServer({
      port,
      hostname: "127.0.0.1",
      dataDir,
      timings: fastTimings,
      ...(options.acmeRetryBaseMs !== undefined ? { acme: { retryBaseMs: options.acmeRetryBaseMs } } : {}),
      ...(options.uiDir ? { uiDir: options.uiDir } : {}),
      env: {
        CORRAL_ADMIN_ACCESS_KEY: adminKey.accessKey,
        CORRAL_ADMIN_SECRET_KEY: adminKey.secretKey,
        ...options.serverEnv,
      },
    });
  let server = boot();
  const idBase = options.idBase ?? 1_000_000 + Math.floor(Math.random() * 900_000_000);
  skipIds(server, idBase);
  const token = defaultRegistrationToken(server.store);
  if (!token) throw new Error("the Default environment has no registration token");
  const api = new Api(server.url, adminKey.accessKey, adminKey.secretKey, server.admin.defaultProjectId);
  let agents = 0;
  const launch = () => spawnAgent(server.url, token, stateDir, join(dir, `agent-${++agents}.log`));
  let agent = launch();
  const host = await waitFor("the agent's host to become active", async () => {
    const hosts = await api.hosts();
    return hosts.find((h) => h.agentState === "active");
  });
  const env: Env = {
    idBase,
    server,
    api,
    agent,
    hostId: host.id,
    token,
    dir,
    dataDir,
    stateDir,
    adminKey,
    restartServer() {
      server = boot();
      env.server = server;
      return server;
    },
    restartAgent() {
      agent = launch();
      env.agent = agent;
      return agent;
    },
    async stop() {
      await env.agent.stop();
      await env.server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
