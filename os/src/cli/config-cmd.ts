import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseCmdlineValue } from "../config/cmdline.ts";
import { configPaths } from "../config/defaults.ts";
import { loadConfig, parseConfigText } from "../config/load-config.ts";
import { deepMerge, getPath, setPath } from "../config/merge.ts";
import { saveUserConfig } from "../config/user-config.ts";
import { callInit } from "../init/control-socket.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

const usage = `usage: corral config <command>

  get KEY            print the merged value of KEY (corral.x.y; rancher.x.y works too)
  set KEY VALUE      set KEY in cloud-config.yml; VALUE is YAML ([a,b], true, 5)
  export [--full]    print cloud-config.yml, or with --full the merged config of every layer
  validate FILE      check a cloud-config; errors as FILE:LINE:COLUMN: reason
  merge [FILE]       merge a cloud-config (FILE or stdin) into cloud-config.yml
`;

function userFile(io: CliIo): string {
  return join(io.root, configPaths.user);
}

/** Reads cloud-config.yml (validated, rancher: folded into corral:). */
function readUser(io: CliIo): Record<string, unknown> {
  const f = userFile(io);
  return existsSync(f) ? parseConfigText(readFileSync(f, "utf8"), f) : {};
}

/** Validates then writes cloud-config.yml (0600: it may hold tokens), and asks PID 1 to reconcile. */
export async function writeUserConfig(io: CliIo, doc: Record<string, unknown>): Promise<void> {
  saveUserConfig(io.root, doc);
  if (existsSync(io.initSocket))
    await callInit(io.initSocket, "POST", "/reconcile").catch((e) => io.err(`warning: ${e.message}\n`));
}

/**
 * Whether PID 1 reads or writes the config for this caller: the console user can neither read nor
 * write the root-owned config (0600 in a 0700 folder: it may hold tokens), and reading around it
 * would silently leave out the user's own layer.
 */
function askInit(io: CliIo): boolean {
  return (io.uid ?? process.getuid?.()) !== 0 && existsSync(io.initSocket);
}

function print(io: CliIo, v: unknown): void {
  if (v === undefined) return;
  io.out(typeof v === "object" ? stringify(v) : `${String(v)}\n`);
}

/** `corral config ...` */
export async function configCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  return failing(io, async () => {
    switch (cmd) {
      case "get":
        if (rest.length !== 1) return usageError(io, "config get takes one KEY", usage);
        if (askInit(io)) {
          const r = (await callInit(io.initSocket, "POST", "/config/get", { key: rest[0] })) as {
            value?: unknown;
          };
          print(io, r.value);
          return 0;
        }
        print(io, getPath(loadConfig({ root: io.root }), rest[0]!));
        return 0;
      case "set": {
        if (rest.length !== 2) return usageError(io, "config set takes KEY VALUE", usage);
        const value = parseCmdlineValue(rest[1]!);
        if (askInit(io)) {
          await callInit(io.initSocket, "POST", "/config/set", { key: rest[0], value });
          return 0;
        }
        await writeUserConfig(io, setPath(readUser(io), rest[0]!, value));
        return 0;
      }
      case "export": {
        const full = rest.includes("--full");
        if (askInit(io)) {
          const r = (await callInit(io.initSocket, "POST", "/config/export", { full })) as {
            value?: unknown;
          };
          print(io, r.value);
          return 0;
        }
        print(io, full ? loadConfig({ root: io.root }) : readUser(io));
        return 0;
      }
      case "validate": {
        if (rest.length !== 1) return usageError(io, "config validate takes one FILE", usage);
        parseConfigText(readFileSync(rest[0]!, "utf8"), rest[0]!);
        io.out(`${rest[0]}: valid\n`);
        return 0;
      }
      case "merge": {
        const text = rest[0] ? readFileSync(rest[0], "utf8") : await io.stdin();
        await writeUserConfig(
          io,
          deepMerge(readUser(io), parseConfigText(text, rest[0] ?? "(stdin)")) as Record<string, unknown>,
        );
        return 0;
      }
      default:
        return usageError(io, `unknown config command '${cmd}'`, usage);
    }
  });
}
