import type { EngineStatus } from "../engines/engine-control.ts";
import { callInit } from "../init/control-socket.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

const usage = `usage: corral engine <command>

  list                      the User Docker engines on this machine: current (running now),
                            enabled (the next boot's, corral.docker.engine), the others
  switch VERSION [-f FILE]  run User Docker on VERSION now (and at every boot): User Docker
                            restarts, /var/lib/user-docker is kept, containers come back as
                            their restart policy says
  enable VERSION [-f FILE]  run VERSION from the next boot on
  -f FILE                   add an engine file first (docker-<version>.tar.gz, under /home or
                            /var/lib/corral); it is kept in /var/lib/corral/engines
`;

/** The list as RancherOS printed it: `current  docker-26.1.5`. */
export function formatEngineList(s: EngineStatus): string {
  return s.engines
    .map((e) => {
      const state = e.version === s.current ? "current " : e.version === s.enabled ? "enabled " : "disabled";
      const notes = [
        e.builtin ? "built in" : "",
        e.version === s.enabled && e.version !== s.current ? "next boot" : "",
      ];
      const note = notes.filter(Boolean).join(", ");
      return `${state} ${e.version}${note ? ` (${note})` : ""}\n`;
    })
    .join("");
}

/** Parses `VERSION [-f FILE]`; throws with the usage problem. */
export function parseEngineArgs(rest: string[]): { version: string; file?: string } {
  let version: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "-f" || a === "--file") {
      file = rest[++i];
      if (!file) throw new Error(`${a} takes a FILE`);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else if (version) throw new Error("takes one VERSION");
    else version = a;
  }
  if (!version) throw new Error("takes a VERSION (corral engine list shows them)");
  return { version, file };
}

/** `corral engine ...` */
export async function engineCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd !== "list" && cmd !== "switch" && cmd !== "enable")
    return usageError(io, `unknown engine command '${cmd}'`, usage);
  if (cmd === "list" && rest.length > 0) return usageError(io, "engine list takes no arguments", usage);
  let req: { version: string; file?: string } | undefined;
  if (cmd !== "list") {
    try {
      req = parseEngineArgs(rest);
    } catch (e) {
      return usageError(io, `engine ${cmd} ${(e as Error).message}`, usage);
    }
  }
  return failing(io, async () => {
    if (!req) {
      io.out(formatEngineList((await callInit(io.initSocket, "GET", "/engine")) as EngineStatus));
      return 0;
    }
    // A file named relative to the caller's folder: PID 1 resolves paths from /.
    const file = req.file && !req.file.startsWith("/") ? `${process.cwd()}/${req.file}` : req.file;
    if (cmd === "switch") io.out(`switching User Docker to ${req.version}...\n`);
    const done = (await callInit(io.initSocket, "POST", `/engine/${cmd}`, { ...req, file })) as {
      version: string;
    };
    io.out(
      cmd === "switch"
        ? `User Docker runs ${done.version}\n`
        : `${done.version} enabled: User Docker runs it from the next boot\n`,
    );
    return 0;
  });
}
