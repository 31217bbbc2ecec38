import { existsSync } from "node:fs";
import { join } from "node:path";
import { shipped } from "../init/boot-phases.ts";
import { type ConsoleState, checkConsoleName, chooseConsole, consoleState } from "../init/console-pin.ts";
import { callInit } from "../init/control-socket.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

const usage = `usage: corral console <command>

  list           the consoles: current (running now), enabled (chosen for the next boot) or
                 disabled, and what each is
  switch NAME    use console NAME now and at every boot: starts it and stops the current one
                 (this ssh session ends; log in again). User Docker and its containers go on
  enable NAME    use console NAME from the next boot on (corral.console, alias rancher.console)

The default console is ephemeral (made anew at each boot); the others are persistent: their root
filesystem, with what was installed in it, stays across reboots and switches. /home, /opt and
User Docker's data are shared by every console.
`;

/**
 * The consoles, this boot's and the next boots' choice: PID 1's answer on CorralOS (the console
 * sees neither the shipped services nor the config, root's alone), else read under the root.
 */
async function state(io: CliIo): Promise<ConsoleState> {
  if (existsSync(io.initSocket)) return (await callInit(io.initSocket, "GET", "/console")) as ConsoleState;
  return consoleState(io.root, join(io.root, shipped.services));
}

async function list(io: CliIo): Promise<number> {
  const { current, next, consoles } = await state(io);
  for (const c of consoles) {
    const st = c.name === current ? "current" : c.name === next ? "enabled" : "disabled";
    const kind = c.persistent ? "persistent" : "ephemeral";
    io.out(`${st.padEnd(8)} ${c.name.padEnd(10)} ${kind.padEnd(10)} ${c.description ?? ""}`.trimEnd());
    io.out("\n");
  }
  return 0;
}

/**
 * Saves the choice, and with `now` switches. On CorralOS PID 1 does it (it owns the config and
 * the services; the console user may call it); elsewhere (an image root, tests) only `enable` can
 * be done, by writing the config under the root.
 */
async function choose(io: CliIo, name: string, now: boolean): Promise<number> {
  const { current, consoles } = await state(io);
  checkConsoleName(consoles, name);
  if (!existsSync(io.initSocket)) {
    if (now)
      throw new Error(`cannot switch consoles: corral init is not running (no ${io.initSocket}); use enable`);
    chooseConsole(io.root, join(io.root, shipped.services), name, false);
  } else {
    if (now && current !== name)
      io.out(`switching to the ${name} console: this session ends when the ${current} console stops\n`);
    await callInit(io.initSocket, "POST", "/console", { name, now });
    if (now && current === name) io.out(`the ${name} console is already the current one\n`);
  }
  if (!now) io.out(`the ${name} console runs from the next boot on\n`);
  return 0;
}

/** `corral console ...` */
export async function consoleCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  return failing(io, async () => {
    switch (cmd) {
      case "list":
        if (rest.length > 0) return usageError(io, "console list takes no arguments", usage);
        return await list(io);
      case "switch":
      case "enable":
        if (rest.length !== 1) return usageError(io, `console ${cmd} takes one NAME`, usage);
        return choose(io, rest[0]!, cmd === "switch");
      default:
        return usageError(io, `unknown console command '${cmd}'`, usage);
    }
  });
}
