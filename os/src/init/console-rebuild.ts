// `force_console_rebuild` (RancherOS's `rancher.force_console_rebuild`; `corral os upgrade
// --upgrade-console` sets it). A persistent console keeps its container, and with it the image it
// was made from, across reboots and upgrades: that is what keeps the packages a user installed. Asked
// to, the boot removes that container once, before its first reconcile, so the supervisor makes it
// anew from the console's current image (the one the upgrade brought).
import type { CorralConfig } from "../config/config-schema.ts";
import { setUserConfigKey } from "../config/user-config.ts";
import { chosenConsole } from "../services/service-config.ts";
import type { ServiceSpec } from "../services/service-schema.ts";

/** What the boot reports about the switch: a line for the console, or a warning. */
export interface ConsoleRebuild {
  /** What was done, for the boot's console output. */
  done?: string;
  /** Why it was not (or not wholly) done. */
  warning?: string;
}

/**
 * When `config` asks for it, removes the chosen console's container (through `remove`, which
 * ignores a container that is not there) and sets the switch back to false in the user's
 * cloud-config.yml under `root`, so the rebuild happens once. An ephemeral console is made anew at
 * every boot anyway: only the switch is reset (and said, so the boot shows it was read). A failed removal keeps the switch for the next boot.
 */
export async function rebuildConsoleIfAsked(
  root: string,
  config: CorralConfig,
  consoles: readonly ServiceSpec[],
  remove: (container: string) => Promise<void>,
): Promise<ConsoleRebuild> {
  if (config.corral?.force_console_rebuild !== true) return {};
  const name = chosenConsole(config);
  const spec = consoles.find((s) => s.console === name);
  let done = `the ${name} console is made anew at every boot (force_console_rebuild set back)`;
  if (spec?.persistent) {
    try {
      await remove(spec.name);
    } catch (e) {
      return {
        warning: `force_console_rebuild: cannot remove the ${name} console's container: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    done = `the ${name} console is made anew from its image (force_console_rebuild)`;
  }
  try {
    setUserConfigKey(root, "corral.force_console_rebuild", false);
  } catch (e) {
    // The console is rebuilt either way; the next boot would rebuild it once more.
    return {
      done,
      warning: `force_console_rebuild: cannot reset it in cloud-config.yml: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return { done };
}
