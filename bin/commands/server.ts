import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { defaultRegistrationToken, startServer } from "@corral/server";
import { parseFlags, untilSignal } from "./args.ts";

const serverHelp = `usage: corral server [--port 8080] [--data ./data] [--listen 0.0.0.0] [--join]

Runs the Corral API server with SQLite in the data folder (made private: 0700, files 0600). On
first start it creates the admin account and the Default environment; the admin key comes from
CORRAL_ADMIN_ACCESS_KEY and CORRAL_ADMIN_SECRET_KEY (16 characters or more, applied at every start),
or is generated, printed once and written to <data>/admin-key.json (0600).

With --join, this machine also joins the server through a local agent process, exactly as a remote
host joins: with the Default environment's registration token over HTTP and a websocket.
`;

const flagSpec = {
  port: { type: "string" },
  data: { type: "string" },
  listen: { type: "string" },
  join: { type: "boolean" },
} as const;

function start(values: Record<string, string | boolean | undefined>) {
  const port = Number(values.port ?? process.env.CORRAL_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const dataDir = resolve((values.data as string | undefined) ?? "./data");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = startServer({ port, dataDir, hostname: values.listen as string | undefined });
  if (server.admin.generated) {
    console.log(`admin API key (shown once, also in ${dataDir}/admin-key.json):`);
    console.log(`  access key: ${server.admin.accessKey}`);
    console.log(`  secret key: ${server.admin.secretKey}`);
  }
  console.log(`corral server listening on http://localhost:${server.port} (data in ${dataDir})`);
  return { server, dataDir };
}

/**
 * `corral server`: runs the API server until SIGINT/SIGTERM; with `--join`, also a local agent child
 * process that joins this machine like any remote host (restarted if it dies).
 */
export async function runServerCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, flagSpec, serverHelp);
  if (!flags) return process.exitCode === 2 ? 2 : 0;
  const { server, dataDir } = start(flags.values);
  if (!flags.values.join) {
    await untilSignal();
    await server.stop();
    return 0;
  }
  const token = defaultRegistrationToken(server.store);
  let agent: ChildProcess | null = null;
  let stopping = false;
  const launch = () => {
    if (!token || stopping) return;
    const self = Bun.main.endsWith(".ts") ? [process.execPath, Bun.main] : [process.execPath];
    const args = [
      ...self.slice(1),
      "agent",
      "--url",
      server.url,
      "--token",
      token,
      "--state",
      `${dataDir}/agent`,
    ];
    agent = spawn(self[0]!, args, { stdio: "inherit" });
    agent.on("exit", (code) => {
      if (stopping) return;
      console.error(`local agent exited (${code}); restarting in 2 s`);
      setTimeout(launch, 2000);
    });
  };
  launch();
  await untilSignal();
  stopping = true;
  (agent as ChildProcess | null)?.kill("SIGTERM");
  await server.stop();
  return 0;
}
