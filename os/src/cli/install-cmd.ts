import { readFileSync } from "node:fs";
import { parseConfigText } from "../config/load-config.ts";
import { callInit } from "../init/control-socket.ts";
import { InstallUsageError, installUsage, parseInstallArgs } from "../install/plan.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

/**
 * `corral install ...`: checks the arguments and the cloud-config here (a bad one is refused before
 * any disk is touched), then asks PID 1 to do the install: it runs on the host, where the disks and
 * the partitioning and GRUB tools are, while the console is a container.
 */
export async function installCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(installUsage);
    return 0;
  }
  let opts: ReturnType<typeof parseInstallArgs>;
  try {
    opts = parseInstallArgs(argv);
  } catch (e) {
    if (e instanceof InstallUsageError) return usageError(io, e.message, installUsage);
    throw e;
  }
  return failing(io, async () => {
    let cloudConfig: string | undefined;
    if (opts.cloudConfig) {
      try {
        cloudConfig = readFileSync(opts.cloudConfig, "utf8");
      } catch (e) {
        throw new Error(`cannot read the cloud-config ${opts.cloudConfig}: ${(e as Error).message}`);
      }
      parseConfigText(cloudConfig, opts.cloudConfig);
    }
    const answer = (await callInit(io.initSocket, "POST", "/install", { argv, cloudConfig })) as {
      log?: string[];
    };
    for (const line of answer.log ?? []) io.out(`${line}\n`);
    if (opts.reboot) io.out("rebooting\n");
    return 0;
  });
}
