import { join } from "node:path";
import { callInit } from "../init/control-socket.ts";
import { bootLogPath, formatEntry, persistentBootLogPath, readTimeline } from "../init/timeline.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

/** The OS version, as `corral os version` prints it. */
export const osVersion = "0.1.0";

const usage = `usage: corral os <command>

  version              print the CorralOS version
  boot-log [--json] [--previous]
                       the boot timeline: phases with ms, milestones since kernel start
  poweroff             stop services, sync, unmount and power off
  reboot               the same, then reboot
`;

/** `corral os ...` */
export async function osCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  return failing(io, async () => {
    switch (cmd) {
      case "version":
        io.out(`CorralOS v${osVersion}\n`);
        return 0;
      case "boot-log": {
        const file = join(io.root, rest.includes("--previous") ? persistentBootLogPath : bootLogPath);
        const entries = readTimeline(file);
        if (entries.length === 0) throw new Error(`no boot timeline in ${file}`);
        for (const e of entries)
          io.out(rest.includes("--json") ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
        return 0;
      }
      case "poweroff":
      case "reboot":
        if (rest.length > 0) return usageError(io, `os ${cmd} takes no arguments`, usage);
        await callInit(io.initSocket, "POST", `/${cmd}`);
        io.out(`${cmd} requested\n`);
        return 0;
      default:
        return usageError(io, `unknown os command '${cmd}'`, usage);
    }
  });
}
