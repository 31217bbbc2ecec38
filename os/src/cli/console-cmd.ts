import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { configPaths } from "../config/defaults.ts";
import { loadConfig, parseConfigText } from "../config/load-config.ts";
import { setPath } from "../config/merge.ts";
import { shipped } from "../init/boot-phases.ts";
import { pinConsole, readPinnedConsole } from "../init/console-pin.ts";
import { chosenConsole } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import type { ServiceSpec } from "../services/service-schema.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";
import { writeUserConfig } from "./config-cmd.ts";

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

/** The consoles the image ships: system services with a `console:` name, by name. */
function consoles(io: CliIo): ServiceSpec[] {
  return loadServiceDir(join(io.root, shipped.services))
    .filter((s) => s.console !== undefined)
    .sort((a, b) => a.console!.localeCompare(b.console!));
}

/** The file PID 1 pins this boot's console in, beside its control socket (/run/corral). */
function pinFile(io: CliIo): string {
  return join(dirname(io.initSocket), "console");
}

function findConsole(io: CliIo, name: string): ServiceSpec {
  const all = consoles(io);
  const found = all.find((s) => s.console === name);
  if (!found)
    throw new Error(`no console '${name}' (have: ${all.map((s) => s.console).join(", ") || "none"})`);
  return found;
}

/** Sets corral.console in the user's cloud-config.yml (which asks PID 1 to reconcile). */
async function saveChoice(io: CliIo, name: string): Promise<void> {
  const f = join(io.root, configPaths.user);
  const doc = existsSync(f) ? parseConfigText(readFileSync(f, "utf8"), f) : {};
  await writeUserConfig(io, setPath(doc, "corral.console", name));
}

function list(io: CliIo): number {
  const next = chosenConsole(loadConfig({ root: io.root }));
  const current = readPinnedConsole(pinFile(io));
  for (const s of consoles(io)) {
    const name = s.console!;
    const state = name === current ? "current" : name === next ? "enabled" : "disabled";
    const kind = s.persistent ? "persistent" : "ephemeral";
    io.out(`${state.padEnd(8)} ${name.padEnd(10)} ${kind.padEnd(10)} ${s.description ?? ""}`.trimEnd());
    io.out("\n");
  }
  return 0;
}

async function switchTo(io: CliIo, name: string): Promise<number> {
  findConsole(io, name);
  if (!existsSync(io.initSocket))
    throw new Error(`cannot switch consoles: corral init is not running (no ${io.initSocket}); use enable`);
  const current = readPinnedConsole(pinFile(io));
  if (current === name) {
    await saveChoice(io, name);
    io.out(`the ${name} console is already the current one\n`);
    return 0;
  }
  io.out(
    `switching to the ${name} console: this session ends when the ${current ?? "current"} console stops\n`,
  );
  // Pinned first: the reconcile that saving the config asks for then starts the new console.
  pinConsole(pinFile(io), name);
  await saveChoice(io, name);
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
        return list(io);
      case "switch":
      case "enable":
        if (rest.length !== 1) return usageError(io, `console ${cmd} takes one NAME`, usage);
        if (cmd === "switch") return switchTo(io, rest[0]!);
        findConsole(io, rest[0]!);
        await saveChoice(io, rest[0]!);
        io.out(`the ${rest[0]} console runs from the next boot on\n`);
        return 0;
      default:
        return usageError(io, `unknown console command '${cmd}'`, usage);
    }
  });
}
