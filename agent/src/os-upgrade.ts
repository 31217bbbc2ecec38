// `host.osupgrade`: the server's rolling OS upgrade reaches one host as this event. The agent asks
// PID 1 over its control socket, as `corral os upgrade` does: write the release into the other slot
// (verified there), answer the server with what was written, and only then ask for the reboot, so
// the answer leaves before the machine goes down. The boot gate decides afterwards.
import type { ParsedEventData } from "@corral/api";
import { AppError, type Logger } from "@corral/lib";
import type { InitClient } from "./os-facts.ts";

/** Folders PID 1 and the agent's container see at the same path (a release file must be in one). */
const sharedDirs = ["/var/lib/corral/", "/home/"];

/** What the handler answers and what it does once the answer went out. */
export interface OsUpgradeOutcome {
  data: { version: string; slot: "A" | "B"; log: string[] };
  after: () => void;
}

/** Runs one `host.osupgrade` against PID 1 (`init`: undefined when this host is not CorralOS). */
export async function runOsUpgrade(
  init: InitClient | undefined,
  req: ParsedEventData<"host.osupgrade">,
  logger: Logger,
): Promise<OsUpgradeOutcome> {
  if (!init) throw new AppError("InvalidState", "this host does not run CorralOS (no corral init socket)");
  if (req.file && (!sharedDirs.some((d) => req.file!.startsWith(d)) || req.file.split("/").includes("..")))
    throw new AppError("InvalidFormat", `${req.file}: a release file must be under /var/lib/corral or /home`);
  let answer: Awaited<ReturnType<InitClient["upgrade"]>>;
  try {
    answer = await init.upgrade({ version: req.version, channel: req.channel, file: req.file });
  } catch (e) {
    // PID 1's own words: a refused signature, a version not in the channel, a trial in progress.
    throw new AppError("InvalidState", `corral os upgrade: ${e instanceof Error ? e.message : String(e)}`);
  }
  const log = (answer.log ?? []).slice(-200).map((l) => String(l).slice(0, 2048));
  logger.info("OS upgrade written; rebooting", { version: answer.done.version, slot: answer.done.slot });
  return {
    data: { version: answer.done.version, slot: answer.done.slot, log },
    after: () => {
      init.reboot().catch((e: unknown) => logger.error("cannot ask corral init to reboot", { error: e }));
    },
  };
}
