// `corral os version|list|upgrade|rollback`: the console side. PID 1 does the work (the disk and
// GRUB's environment are on the host); these parse, call it and print.
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { callInit } from "../init/control-socket.ts";
import type { ChannelRelease } from "../upgrade/channel.ts";
import type { OsStatus } from "../upgrade/upgrade.ts";
import type { CliIo } from "./cli-io.ts";

/** A command line these commands cannot use. */
export class OsUsageError extends Error {}

/** Folders the console shares with the host at the same path: a release file must be in one. */
const sharedDirs = ["/home/", "/var/lib/corral/"];

/** Parsed `corral os upgrade` arguments. */
export interface UpgradeArgs {
  file?: string;
  version?: string;
  channel?: string;
  reboot: boolean;
  kexec: boolean;
  /** `--upgrade-console`: a persistent console is made anew from the new build's image. */
  upgradeConsole: boolean;
}

/**
 * Parses `corral os upgrade [-i VERSION | -f FILE] [-c CHANNEL] [--no-reboot] [--kexec]
 * [--upgrade-console]`.
 */
export function parseUpgradeArgs(argv: string[]): UpgradeArgs {
  const a: UpgradeArgs = { reboot: true, kexec: false, upgradeConsole: false };
  const value = (i: number, name: string) => {
    const v = argv[i];
    if (v === undefined || v === "") throw new OsUsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-reboot") a.reboot = false;
    else if (arg === "--kexec") a.kexec = true;
    else if (arg === "--upgrade-console") a.upgradeConsole = true;
    else if (arg === "-f" || arg === "--file") a.file = value(++i, arg);
    else if (arg === "-i" || arg === "--image") a.version = value(++i, arg);
    else if (arg === "-c" || arg === "--channel") a.channel = value(++i, arg);
    else throw new OsUsageError(`unknown argument '${arg}'`);
  }
  if (a.file && a.version) throw new OsUsageError("give -f FILE or -i VERSION, not both");
  if (!a.file && !a.version)
    throw new OsUsageError("give -f FILE (a release tar) or -i VERSION (from the channel)");
  if (a.kexec && !a.reboot)
    throw new OsUsageError("--kexec boots the new slot now: it cannot go with --no-reboot");
  return a;
}

/** The file's real path, which PID 1 sees at the same place only under the shared folders. */
function hostPath(file: string): string {
  let real: string;
  try {
    real = realpathSync(resolve(file));
  } catch {
    throw new Error(`${file}: no such file`);
  }
  if (!sharedDirs.some((d) => real.startsWith(d)))
    throw new Error(
      `${file}: put the release under /home or /var/lib/corral (the folders the host shares with the console)`,
    );
  return real;
}

/** `corral os version`: the running build and both slots. */
export async function printVersion(io: CliIo): Promise<number> {
  const s = (await callInit(io.initSocket, "GET", "/os/status")) as OsStatus;
  io.out(`CorralOS ${s.running}${s.booted ? ` (slot ${s.booted})` : ""}\n`);
  if (!s.installed || !s.slots || !s.env) {
    io.out("not installed to disk\n");
    return 0;
  }
  for (const slot of ["A", "B"] as const) {
    const info = s.slots[slot];
    const marks = [
      s.env.active === slot ? "active" : "",
      s.booted === slot ? "booted" : "",
      s.env.try === slot ? "boots once next" : "",
    ].filter(Boolean);
    io.out(
      `slot ${slot}: ${info ? `${info.version} (written ${info.installed})` : "empty"}${marks.length ? ` [${marks.join(", ")}]` : ""}\n`,
    );
  }
  if (s.trial)
    io.out(
      `trial: slot ${s.trial.to} (${s.trial.version}) ${s.trial.status}${s.trial.reason ? `: ${s.trial.reason}` : ""}\n`,
    );
  return 0;
}

/** `corral os list [-c CHANNEL]`. */
export async function printList(io: CliIo, argv: string[]): Promise<number> {
  if (argv.length > 0 && !(argv.length === 2 && (argv[0] === "-c" || argv[0] === "--channel")))
    throw new OsUsageError("usage: corral os list [-c URL|FILE]");
  const channel = argv[1] ? (/^[a-z]+:\/\//.test(argv[1]) ? argv[1] : hostPath(argv[1])) : undefined;
  const list = (await callInit(io.initSocket, "POST", "/os/list", { channel })) as ChannelRelease[];
  for (const r of list) io.out(`${r.version}\t${r.location}\n`);
  return 0;
}

/** `corral os upgrade ...` and `corral os rollback [--no-reboot]`. */
export async function runSlotChange(io: CliIo, cmd: "upgrade" | "rollback", argv: string[]): Promise<number> {
  let body: Record<string, unknown>;
  if (cmd === "rollback") {
    const bad = argv.find((a) => a !== "--no-reboot");
    if (bad) throw new OsUsageError(`unknown argument '${bad}'`);
    body = { reboot: !argv.includes("--no-reboot") };
  } else {
    const a = parseUpgradeArgs(argv);
    body = {
      file: a.file ? hostPath(a.file) : undefined,
      version: a.version,
      channel: a.channel,
      reboot: a.reboot,
      kexec: a.kexec,
      upgradeConsole: a.upgradeConsole,
    };
  }
  const answer = (await callInit(io.initSocket, "POST", `/os/${cmd}`, body)) as { log?: string[] };
  for (const l of answer.log ?? []) io.out(`${l}\n`);
  if (body.reboot) io.out(body.kexec ? "stopping services, then kexec into the new slot\n" : "rebooting\n");
  return 0;
}
