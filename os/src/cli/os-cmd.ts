import { join } from "node:path";
import { callInit } from "../init/control-socket.ts";
import { bootLogPath, formatEntry, persistentBootLogPath, readTimeline } from "../init/timeline.ts";
import { formatEvent, readHistory } from "../upgrade/history.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";
import { OsUsageError, printList, printVersion, runSlotChange } from "./os-slots-cmd.ts";

/** The OS version, as `corral os version` prints it. */
export const osVersion = "0.1.0";

const usage = `usage: corral os <command>

  version              the running build, both system slots (A, B), the active one and any trial
  list [-c URL|FILE]   versions offered by the channel (corral.upgrade.url unless given)
  upgrade [-i VERSION | -f FILE] [-c URL|FILE] [--no-reboot | --kexec] [--upgrade-console]
                       write a signed release into the other slot and boot it once; it becomes
                       the active slot when healthy (corral.upgrade.health_timeout), else the
                       machine falls back by itself. --kexec: boot it with kexec after an
                       orderly shutdown, skipping the firmware and GRUB (the same trial).
                       --upgrade-console: a persistent console is made anew from the new
                       build's image at its first boot (what was installed in it is lost)
  rollback [--no-reboot]
                       boot the other slot once (active when healthy)
  boot-log [--json] [--previous] [--history]
                       the boot timeline: phases with ms, milestones since kernel start; then the
                       slot history (upgrades, trials, rollbacks and why); --history: only that
  poweroff             stop services, sync, unmount and power off
  reboot               the same, then reboot
`;

/** `corral os boot-log ...` */
function bootLog(io: CliIo, rest: string[]): number {
  const json = rest.includes("--json");
  const history = readHistory(io.root);
  if (!rest.includes("--history")) {
    const file = join(io.root, rest.includes("--previous") ? persistentBootLogPath : bootLogPath);
    const entries = readTimeline(file);
    if (entries.length === 0) throw new Error(`no boot timeline in ${file}`);
    for (const e of entries) io.out(json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
    if (json || history.length === 0) return 0;
    io.out("\nslot history:\n");
  }
  for (const e of history) io.out(json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
  return 0;
}

/** `corral os ...` */
export async function osCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  return failing(io, async () => {
    try {
      switch (cmd) {
        case "version":
          return await printVersion(io);
        case "list":
          return await printList(io, rest);
        case "upgrade":
        case "rollback":
          return await runSlotChange(io, cmd, rest);
        case "boot-log":
          return bootLog(io, rest);
        case "poweroff":
        case "reboot":
          if (rest.length > 0) return usageError(io, `os ${cmd} takes no arguments`, usage);
          await callInit(io.initSocket, "POST", `/${cmd}`);
          io.out(`${cmd} requested\n`);
          return 0;
        default:
          return usageError(io, `unknown os command '${cmd}'`, usage);
      }
    } catch (e) {
      if (e instanceof OsUsageError) return usageError(io, e.message, usage);
      throw e;
    }
  });
}
