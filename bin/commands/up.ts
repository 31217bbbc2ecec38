/**
 * `corral up`: deploys a stack from docker-compose.yml and rancher-compose.yml, as rancher-compose's
 * `up` did: creates the stack, or applies scale to an existing one; `--upgrade` upgrades it in
 * service, `--confirm-upgrade` finishes an upgrade and `--rollback` undoes one. Then it shows the
 * services converging unless `-d`.
 */
import { isAbsolute, relative } from "node:path";
import {
  CommandError,
  type FlagValues,
  type Io,
  num,
  openProject,
  parseCommand,
  pause,
  runCommand,
  stackArg,
  str,
  UsageError,
} from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";
import {
  type ComposeFiles,
  loadComposeFiles,
  rancherScales,
  readEnvFile,
  stackEnvironment,
  withUpgradeStrategy,
} from "./compose-files.ts";
import { waitForStack } from "./converge.ts";

const help = `usage: corral up [options]

Creates or updates a stack from compose files, then follows its services until they run.

  -f, --file FILE        a docker-compose or rancher-compose file (repeatable; a file whose name
                         contains "rancher-compose" is the rancher file); default ./docker-compose.yml
                         and the rancher-compose.yml beside it
  -p, --stack NAME       stack name (default: the current folder's name)
  -d, --detach           do not wait for the services to converge
      --upgrade          upgrade the services whose definition changed (in service, batch by batch)
      --confirm-upgrade  finish the upgrade: remove the old containers (with --upgrade: once upgraded)
      --rollback         roll an upgrade back to the previous containers
      --batch-size N     containers upgraded at a time (rancher-compose upgrade_strategy.batch_size)
      --interval MS      pause between upgrade batches (upgrade_strategy.interval_millis)
      --env-file FILE    KEY=value lines for \${VAR} interpolation (over the process environment)
      --timeout S        give up waiting after S seconds (default 300)
      --project ENV      environment id or name (default: CORRAL_PROJECT, else Default)
      --url URL          server (default: CORRAL_URL or RANCHER_URL, else http://localhost:8080)
      --access-key KEY   API access key (default: CORRAL_ACCESS_KEY or RANCHER_ACCESS_KEY)
      --secret-key KEY   API secret key (default: CORRAL_SECRET_KEY or RANCHER_SECRET_KEY)
`;

const options = {
  file: { type: "string", short: "f", multiple: true },
  stack: { type: "string", short: "p" },
  detach: { type: "boolean", short: "d" },
  upgrade: { type: "boolean", short: "u" },
  "confirm-upgrade": { type: "boolean", short: "c" },
  rollback: { type: "boolean", short: "r" },
  "batch-size": { type: "string" },
  interval: { type: "string" },
  "env-file": { type: "string", short: "e" },
  timeout: { type: "string" },
} as const;

/** `corral up`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  let files: ComposeFiles | null = null;
  // Server errors name docker-compose.yml/rancher-compose.yml: show the user's own file names.
  const fileNames = (file: string) => {
    if (!files) return file;
    const list = file.includes("rancher") ? files.rancherFiles : files.dockerFiles;
    if (list.length === 0) return file;
    const shown = list.map((f) => (isAbsolute(f) ? relative(io.cwd, f) || f : f));
    return shown.length === 1 ? shown[0]! : `${file} (merged from ${shown.join(" + ")})`;
  };
  return runCommand(
    io,
    "up",
    async () => {
      const parsed = parseCommand(io, argv, options, help);
      if (!parsed) return 0;
      const { values, positionals } = parsed;
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const settle = Boolean(values["confirm-upgrade"] || values.rollback) && !values.upgrade;
      if (values.rollback && (values.upgrade || values["confirm-upgrade"]))
        throw new UsageError("--rollback cannot be combined with --upgrade or --confirm-upgrade");
      const name = stackArg(io, values);
      const timeoutMs = num(values, "timeout", 300) * 1000;
      if (!settle) files = loadComposeFiles(io.cwd, (values.file as string[] | undefined) ?? []);
      const envFile = str(values, "env-file") ? readEnvFile(io.cwd, str(values, "env-file")!) : {};
      const client = await openProject(io, values);
      const stack = await client.findStack(name);
      if (settle) return settleUpgrade(io, client, name, stack, values, timeoutMs);
      const environment = stackEnvironment(files!, io.env, envFile);
      const body = {
        dockerCompose: files!.dockerCompose,
        rancherCompose: files!.rancherCompose,
        environment,
      };
      if (!stack) {
        const created = await client.create("stacks", { name, ...body });
        io.out(`created stack ${name} (${created.id}) in environment ${client.name}\n`);
        printWarnings(io, created);
        if (values.detach) return 0;
        await waitForStack(io, client, created, { timeoutMs });
        io.out(`stack ${name} is up\n`);
        return 0;
      }
      if (values.upgrade) return upgrade(io, client, stack, files!, environment, values, timeoutMs);
      await applyScale(io, client, stack, files!, environment);
      if (values.detach) return 0;
      await waitForStack(io, client, stack, { timeoutMs, states: ["active", "upgraded"] });
      io.out(`stack ${name} is up\n`);
      return 0;
    },
    fileNames,
  );
}

/** The server's notes on the compose files (keys ignored or substituted), one per line on stderr. */
function printWarnings(io: Io, stack: Resource): void {
  const warnings = Array.isArray(stack.warnings) ? stack.warnings : [];
  for (const w of warnings) io.err(`warning: ${String(w)}\n`);
}

/**
 * An existing stack without `--upgrade`: like rancher-compose, only scale is applied; changed
 * service definitions wait for `--upgrade`, and the user is told so.
 */
async function applyScale(
  io: Io,
  client: ProjectClient,
  stack: Resource,
  files: ComposeFiles,
  environment: Record<string, string>,
): Promise<void> {
  const services = await client.services(stack.id);
  const scales = rancherScales(files.rancherCompose, { ...(stack.environment as object), ...environment });
  let scaled = 0;
  for (const svc of services) {
    const want = scales.get(svc.name ?? "");
    if (want === undefined || want === svc.scale || svc.global) continue;
    await client.update("services", svc.id, { scale: want });
    io.out(`${svc.name}: scale ${svc.scale} -> ${want}\n`);
    scaled++;
  }
  const stored = (stack.environment ?? {}) as Record<string, string>;
  const changed =
    stack.dockerCompose !== files.dockerCompose ||
    stack.rancherCompose !== files.rancherCompose ||
    Object.entries(environment).some(([k, v]) => stored[k] !== v);
  if (["upgrading", "upgraded"].includes(stack.state)) {
    io.out(
      `stack ${stack.name} is ${stack.state}: finish with 'corral up --confirm-upgrade' or undo with 'corral up --rollback'\n`,
    );
  } else if (changed) {
    io.out(
      `stack ${stack.name} differs from the compose files: run 'corral up --upgrade' to apply the changes\n`,
    );
  } else if (scaled === 0) io.out(`stack ${stack.name} is up to date\n`);
}

/** `--upgrade` (and `--confirm-upgrade`): upgrades, waits for `upgraded`, finishes when asked. */
async function upgrade(
  io: Io,
  client: ProjectClient,
  stack: Resource,
  files: ComposeFiles,
  environment: Record<string, string>,
  values: FlagValues,
  timeoutMs: number,
): Promise<number> {
  const batchSize = str(values, "batch-size") !== undefined ? num(values, "batch-size", 1) : undefined;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
    throw new UsageError("--batch-size needs a whole number of at least 1");
  const intervalMillis =
    str(values, "interval") !== undefined ? Math.round(num(values, "interval", 0)) : undefined;
  const rancherCompose = withUpgradeStrategy(files, { batchSize, intervalMillis });
  const before = new Map((await settled(io, client, stack, timeoutMs)).map((s) => [s.id, s.state]));
  const upgraded = await client.action("stacks", stack.id, "upgrade", {
    dockerCompose: files.dockerCompose,
    rancherCompose,
    environment,
  });
  printWarnings(io, upgraded);
  const after = await client.services(stack.id);
  const moving = after.filter((s) => s.state === "upgrading" || !before.has(s.id)).map((s) => s.name);
  io.out(
    moving.length > 0
      ? `upgrading stack ${stack.name}: ${moving.join(", ")}\n`
      : `stack ${stack.name}: no service definition changed\n`,
  );
  const confirm = Boolean(values["confirm-upgrade"]);
  if (values.detach && !confirm) return 0;
  await waitForStack(io, client, upgraded, { timeoutMs, states: ["active", "upgraded"] });
  if (!confirm || upgraded.state !== "upgrading") {
    if (upgraded.state === "upgrading")
      io.out(
        `stack ${stack.name} is upgraded: 'corral up --confirm-upgrade' to finish, '--rollback' to undo\n`,
      );
    else io.out(`stack ${stack.name} is up\n`);
    return 0;
  }
  return finish(io, client, stack, "finishupgrade", values, timeoutMs);
}

/** States from which the server refuses an upgrade until the service settles. */
const busyStates = new Set(["activating", "deactivating", "restarting"]);

/** Waits until no service is busy (just created, say): only active/inactive services can upgrade. */
async function settled(
  io: Io,
  client: ProjectClient,
  stack: Resource,
  timeoutMs: number,
): Promise<Resource[]> {
  const deadline = Date.now() + timeoutMs;
  for (let said = false; ; said = true) {
    const services = await client.services(stack.id);
    const busy = services.filter((s) => busyStates.has(s.state));
    if (busy.length === 0) return services;
    if (!said)
      io.out(`waiting for ${busy.map((s) => `${s.name} (${s.state})`).join(", ")} before upgrading\n`);
    if (Date.now() >= deadline || io.signal?.aborted)
      throw new CommandError(`${busy[0]!.name} is still ${busy[0]!.state}; try the upgrade again later`);
    await pause(io.pollMs ?? 1000, io.signal);
  }
}

/** `--confirm-upgrade` or `--rollback` alone: settles a pending upgrade. */
async function settleUpgrade(
  io: Io,
  client: ProjectClient,
  name: string,
  stack: Resource | null,
  values: FlagValues,
  timeoutMs: number,
): Promise<number> {
  if (!stack) throw new CommandError(`no stack named ${name} in environment ${client.name}`);
  const how = values.rollback ? "rollback" : "finishupgrade";
  if (!["upgrading", "upgraded"].includes(stack.state))
    throw new CommandError(
      `stack ${name} is ${stack.state}: there is no upgrade to ${values.rollback ? "roll back" : "confirm"}`,
    );
  return finish(io, client, stack, how, values, timeoutMs);
}

async function finish(
  io: Io,
  client: ProjectClient,
  stack: Resource,
  how: "finishupgrade" | "rollback",
  values: FlagValues,
  timeoutMs: number,
): Promise<number> {
  await client.action("stacks", stack.id, how);
  io.out(`${how === "rollback" ? "rolling back" : "finishing the upgrade of"} stack ${stack.name}\n`);
  if (values.detach) return 0;
  await waitForStack(io, client, stack, { timeoutMs });
  io.out(`stack ${stack.name} is ${how === "rollback" ? "rolled back" : "upgraded"}\n`);
  return 0;
}
