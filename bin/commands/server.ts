import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { defaultRegistrationToken, resetAdminInFolder, startServer } from "@corral/server";
import { parseFlags, untilSignal } from "./args.ts";

const resetHelp = `usage: corral server reset-admin [--data ./data]

Sets a new generated password for the first admin account (username shown with it), prints it once,
activates the account if it was deactivated, and ends all of the admin's login sessions. Works
while the server runs. To choose the password instead, start the server with CORRAL_ADMIN_PASSWORD.
`;

const serverHelp = `usage: corral server [--port 8080] [--https-port 8443] [--data ./data] [--listen 0.0.0.0] [--join]
                     [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--tls-san NAME ...] [--insecure-http]

Runs the Corral API server with SQLite in the data folder (made private: 0700, files 0600). On
first start it creates the admin account and the Default environment; the admin key comes from
CORRAL_ADMIN_ACCESS_KEY and CORRAL_ADMIN_SECRET_KEY (16 characters or more, applied at every start),
or is generated, printed once and written to <data>/admin-key.json (0600). The admin also gets a
login (username admin) with the password in CORRAL_ADMIN_PASSWORD (applied at every start) or a
generated one, printed once and kept in the same file; 'corral server reset-admin' sets a new one.

HTTPS is served on --https-port (CORRAL_HTTPS_PORT, default 8443) with the certificate in --tls-cert
and its key in --tls-key (CORRAL_TLS_CERT, CORRAL_TLS_KEY; the certificate file holds the server
certificate, then its chain), or else with a server certificate signed by a CA made at first start
in <data>/tls, for this machine's hostname and addresses and every --tls-san (CORRAL_TLS_SANS,
comma-separated). Agents pin the CA served at /cacerts: with your own certificate, that is --tls-ca
(CORRAL_TLS_CA), or the certificate file itself. The registration command carries its SHA-256.

Plain HTTP on --port (CORRAL_PORT, default 8080) serves the API to loopback clients only; any other
client gets a redirect to HTTPS and nothing else, unless --insecure-http (CORRAL_INSECURE_HTTP=1)
serves it to every address.

With --join, this machine also joins the server through a local agent process, as a remote host
joins (with the Default environment's registration token), over loopback.
`;

const flagSpec = {
  port: { type: "string" },
  data: { type: "string" },
  listen: { type: "string" },
  join: { type: "boolean" },
  "https-port": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-san": { type: "string", multiple: true },
  "insecure-http": { type: "boolean" },
} as const;

function portOf(flag: string, value: string | undefined, fallback: number): number {
  const port = Number(value ?? fallback);
  if (value === "" || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${flag} must be 0..65535, got ${value}`);
  return port;
}

function flagOrEnv(value: unknown, env: string): string | undefined {
  return (value as string | undefined) ?? (process.env[env] || undefined);
}

/** CORRAL_INSECURE_HTTP as a yes or no; anything else is refused rather than guessed. */
function insecureFromEnv(): boolean {
  const v = (process.env.CORRAL_INSECURE_HTTP ?? "").trim().toLowerCase();
  if (["", "0", "false", "no"].includes(v)) return false;
  if (["1", "true", "yes"].includes(v)) return true;
  throw new Error(
    `CORRAL_INSECURE_HTTP must be 1/true/yes or 0/false/no, got ${JSON.stringify(v.slice(0, 40))}`,
  );
}

function start(values: Record<string, string | boolean | string[] | undefined>) {
  const port = portOf("--port", flagOrEnv(values.port, "CORRAL_PORT"), 8080);
  const httpsPort = portOf("--https-port", flagOrEnv(values["https-port"], "CORRAL_HTTPS_PORT"), 8443);
  const sans = [
    ...((values["tls-san"] as string[] | undefined) ?? []),
    ...(process.env.CORRAL_TLS_SANS ?? "").split(","),
  ]
    .map((s) => s.trim())
    .filter(Boolean);
  const dataDir = resolve((values.data as string | undefined) ?? "./data");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = startServer({
    port,
    dataDir,
    hostname: values.listen as string | undefined,
    https: {
      port: httpsPort,
      source: {
        certFile: flagOrEnv(values["tls-cert"], "CORRAL_TLS_CERT"),
        keyFile: flagOrEnv(values["tls-key"], "CORRAL_TLS_KEY"),
        caFile: flagOrEnv(values["tls-ca"], "CORRAL_TLS_CA"),
        extraSans: sans,
      },
    },
    insecureHttp: values["insecure-http"] === true || insecureFromEnv(),
  });
  if (server.admin.generated) {
    console.log(`admin API key (shown once, also in ${dataDir}/admin-key.json):`);
    console.log(`  access key: ${server.admin.accessKey}`);
    console.log(`  secret key: ${server.admin.secretKey}`);
  }
  if (server.admin.password) {
    console.log(`admin login (shown once, also in ${dataDir}/admin-key.json):`);
    console.log(`  username: ${server.admin.username}`);
    console.log(`  password: ${server.admin.password}`);
  }
  const httpsPortNow = server.httpsUrl ? new URL(server.httpsUrl).port : String(httpsPort);
  console.log(
    `corral server listening on https://<this host>:${httpsPortNow} and http://localhost:${server.port} (data in ${dataDir})`,
  );
  if (server.tls)
    console.log(
      `CA checksum (SHA-256 of /cacerts, ${server.tls.source === "generated" ? `${dataDir}/tls/ca.crt` : "your CA"}): ${server.tls.caChecksum}`,
    );
  return { server, dataDir };
}

/**
 * `corral server`: runs the API server until SIGINT/SIGTERM; with `--join`, also a local agent child
 * process that joins this machine like any remote host (restarted if it dies).
 */
export async function runServerCommand(argv: string[]): Promise<number> {
  if (argv[0] === "reset-admin") return resetAdmin(argv.slice(1));
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
  // The local agent talks plain HTTP over loopback (server.url), which never leaves this machine
  // and works whatever certificate the operator gave (it may not name 127.0.0.1).
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

/** `corral server reset-admin [--data DIR]`: a new admin password, printed once. */
function resetAdmin(argv: string[]): number {
  const flags = parseFlags(argv, { data: { type: "string" } } as const, resetHelp);
  if (!flags) return process.exitCode === 2 ? 2 : 0;
  const dataDir = resolve((flags.values.data as string | undefined) ?? "./data");
  try {
    const { username, password } = resetAdminInFolder(dataDir);
    console.log("admin password reset; every session of the admin was ended (shown once):");
    console.log(`  username: ${username}`);
    console.log(`  password: ${password}`);
    return 0;
  } catch (e) {
    console.error(`reset-admin: ${(e as Error).message}`);
    return 1;
  }
}
