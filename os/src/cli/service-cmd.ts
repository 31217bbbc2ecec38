import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { configPaths } from "../config/defaults.ts";
import { loadConfig, parseConfigText } from "../config/load-config.ts";
import { setPath } from "../config/merge.ts";
import { shipped } from "../init/boot-phases.ts";
import { callInit } from "../init/control-socket.ts";
import { DockerodeEngine } from "../services/dockerode-engine.ts";
import { isEnabled } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import { describeStatus, type ServiceStatus } from "../services/service-status.ts";
import { systemDockerPaths } from "../services/system-docker.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";
import { writeUserConfig } from "./config-cmd.ts";

const usage = `usage: corral service <command>

  list             every system service: enabled, and when CorralOS runs its state, health,
                   restarts and what it waits for or last failed with
  enable NAME      set corral.services_include.NAME: true and reconcile
  disable NAME     set corral.services_include.NAME: false and reconcile
  up               ask PID 1 to reconcile system services with the config now (runs again
                   what failed for good) and print each one's state
  logs NAME        print a system service's logs (System Docker)
`;

async function setInclude(io: CliIo, name: string, value: boolean): Promise<number> {
  const names = loadServiceDir(join(io.root, shipped.services)).map((s) => s.name);
  if (!names.includes(name))
    throw new Error(`no system service '${name}' (have: ${names.join(", ") || "none"})`);
  const f = join(io.root, configPaths.user);
  const doc = existsSync(f) ? parseConfigText(readFileSync(f, "utf8"), f) : {};
  await writeUserConfig(io, setPath(doc, `corral.services_include.${name}`, value));
  return 0;
}

/** `corral service ...` */
export async function serviceCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  return failing(io, async () => {
    switch (cmd) {
      case "list": {
        const config = loadConfig({ root: io.root });
        const running = existsSync(io.initSocket)
          ? ((await callInit(io.initSocket, "GET", "/status")) as ServiceStatus[])
          : [];
        for (const s of loadServiceDir(join(io.root, shipped.services))) {
          const st = running.find((r) => r.name === s.name);
          const state = st ? describeStatus(st) : "";
          io.out(`${isEnabled(s, config) ? "enabled " : "disabled"} ${s.name.padEnd(20)} ${state}`.trimEnd());
          io.out("\n");
        }
        return 0;
      }
      case "enable":
      case "disable":
        if (rest.length !== 1) return usageError(io, `service ${cmd} takes one NAME`, usage);
        return setInclude(io, rest[0]!, cmd === "enable");
      case "up": {
        const status = (await callInit(io.initSocket, "POST", "/reconcile")) as ServiceStatus[];
        for (const s of status) io.out(`${s.name.padEnd(20)} ${describeStatus(s)}\n`);
        return 0;
      }
      case "logs":
        if (rest.length !== 1) return usageError(io, "service logs takes one NAME", usage);
        io.out(await new DockerodeEngine(systemDockerPaths.socket).logs(rest[0]!));
        return 0;
      default:
        return usageError(io, `unknown service command '${cmd}'`, usage);
    }
  });
}
