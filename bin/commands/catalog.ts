/**
 * `corral catalog ls|show|install|upgrade`: the application catalog from the command line. Templates
 * are named as Rancher's CLI named them (`library/wordpress`, optionally `:VERSION`); installing
 * creates a stack with `externalId catalog://<catalog>:<template>:<N>` and the server renders it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import {
  CommandError,
  type FlagValues,
  type Io,
  num,
  openProject,
  parseCommand,
  runCommand,
  str,
  table,
  UsageError,
} from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";
import { waitForStack } from "./converge.ts";

const help = `usage: corral catalog ls [--system] [--catalog NAME]
       corral catalog show TEMPLATE[:VERSION]
       corral catalog install TEMPLATE[:VERSION] [--name STACK] [-a KEY=VALUE ...] [--answers FILE] [-d]
       corral catalog upgrade STACK [VERSION] [-a KEY=VALUE ...] [--answers FILE] [--confirm | --rollback] [-d]

TEMPLATE is CATALOG/NAME (library/wordpress); infra templates are listed with --system.
Answers come from --answers (a YAML or JSON map) and -a KEY=VALUE (which win); an upgrade keeps
the stack's answers and adds these. 'upgrade' goes to VERSION or the newest version offered;
--confirm finishes an upgrade, --rollback undoes it (files, externalId and answers come back).

      --url URL, --access-key KEY, --secret-key KEY, --project ENV   as for 'corral up'
`;

const options = {
  system: { type: "boolean", short: "s" },
  catalog: { type: "string" },
  name: { type: "string" },
  answer: { type: "string", short: "a", multiple: true },
  answers: { type: "string" },
  confirm: { type: "boolean" },
  rollback: { type: "boolean" },
  detach: { type: "boolean", short: "d" },
  timeout: { type: "string" },
} as const;

/** `library/wordpress:2.0.0` or `library:wordpress` -> template id and version. */
export function parseTemplateArg(arg: string): { id: string; version?: string } {
  const m = /^([A-Za-z0-9_-]+)[/:]((?:infra\*)?[A-Za-z0-9._-]+)(?::(.+))?$/.exec(arg);
  if (!m) throw new UsageError(`expected CATALOG/TEMPLATE[:VERSION], got '${arg}'`);
  return { id: `${m[1]}:${m[2]}`, version: m[3] };
}

/** The answers of --answers and -a, the latter winning. */
function answersOf(io: Io, values: FlagValues): Record<string, string> {
  const out: Record<string, string> = {};
  const file = str(values, "answers");
  if (file) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(resolve(io.cwd, file), "utf8"));
    } catch (e) {
      throw new CommandError(`--answers ${file}: ${(e as Error).message.split("\n")[0]}`);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
      throw new CommandError(`--answers ${file}: expected a map`);
    for (const [k, v] of Object.entries(doc)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  for (const pair of (values.answer as string[] | undefined) ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`-a expects KEY=VALUE, got '${pair}'`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** `corral catalog`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  return runCommand(io, "catalog", async () => {
    const parsed = parseCommand(io, argv, options, help);
    if (!parsed) return 0;
    const [verb, ...args] = parsed.positionals;
    const values = parsed.values;
    const client = await openProject(io, values);
    const catalogGet = (path: string) =>
      client.api.request<Resource & Record<string, unknown>>("GET", `/v1-catalog/${path}`);
    switch (verb) {
      case "ls":
      case undefined: {
        const q = new URLSearchParams({
          projectId: client.project.id,
          templateBase: values.system ? "infra" : "",
        });
        if (str(values, "catalog")) q.set("catalogId", str(values, "catalog")!);
        const list = (await catalogGet(`templates?${q}`)).data as Resource[];
        const rows = list.map((t) => [
          String(t.name),
          String(t.category ?? ""),
          String(t.path ?? t.id).replace("infra*", ""),
          String(t.defaultVersion ?? ""),
          t.state === "broken" ? `broken: ${t.transitioningMessage}` : String(t.state),
        ]);
        io.out(table(["NAME", "CATEGORY", "ID", "VERSION", "STATE"], rows));
        return 0;
      }
      case "show": {
        const ref = parseTemplateArg(needArg(args[0], "TEMPLATE"));
        const t = await catalogGet(`templates/${ref.id}`);
        const links = (t.versionLinks ?? {}) as Record<string, string>;
        io.out(
          `${t.name}: ${t.description ?? ""}\ncategory: ${t.category ?? ""}\nversions: ${Object.keys(links).join(", ") || "none"} (default ${t.defaultVersion ?? "none"})\n`,
        );
        if (t.state === "broken") io.out(`broken: ${t.transitioningMessage}\n`);
        const version = ref.version ?? (t.defaultVersion as string | undefined);
        if (!version || !links[version]) return 0;
        const v = await client.api.request<Record<string, unknown>>("GET", links[version]);
        io.out(`\nquestions of ${version}:\n`);
        for (const q of (v.questions ?? []) as Record<string, unknown>[])
          io.out(
            `  ${q.variable} (${q.type ?? "string"}${q.required ? ", required" : ""}${q.default !== undefined ? `, default ${q.default}` : ""})${q.label ? `: ${q.label}` : ""}\n`,
          );
        return 0;
      }
      case "install":
        return install(io, client, values, needArg(args[0], "TEMPLATE"), catalogGet);
      case "upgrade":
        return upgrade(io, client, values, needArg(args[0], "STACK"), args[1]);
      default:
        throw new UsageError(`unknown catalog command '${verb}' (ls, show, install, upgrade)`);
    }
  });
}

function needArg(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`name the ${what}`);
  return value;
}

async function install(
  io: Io,
  client: ProjectClient,
  values: FlagValues,
  arg: string,
  catalogGet: (path: string) => Promise<Record<string, unknown>>,
): Promise<number> {
  const ref = parseTemplateArg(arg);
  const t = await catalogGet(`templates/${ref.id}?projectId=${client.project.id}`);
  const version = ref.version ?? (t.defaultVersion as string | undefined);
  const link = ((t.versionLinks ?? {}) as Record<string, string>)[version ?? ""];
  if (!link) throw new CommandError(`${ref.id} has no version ${version ?? ""} this server can run`);
  const v = await client.api.request<Record<string, unknown>>("GET", link);
  const name = str(values, "name") ?? String(t.folderName);
  const stack = await client.create("stacks", {
    name,
    externalId: `catalog://${v.id}`,
    answers: answersOf(io, values),
    startOnCreate: true,
  });
  io.out(`created stack ${name} (${stack.id}) from ${v.id}\n`);
  if (values.detach) return 0;
  await waitForStack(io, client, stack, { timeoutMs: num(values, "timeout", 300) * 1000 });
  io.out(`stack ${name} is up\n`);
  return 0;
}

async function upgrade(
  io: Io,
  client: ProjectClient,
  values: FlagValues,
  name: string,
  version?: string,
): Promise<number> {
  const stack = await client.requireStack(name);
  const timeoutMs = num(values, "timeout", 300) * 1000;
  if (values.confirm || values.rollback) {
    const how = values.rollback ? "rollback" : "finishupgrade";
    await client.action("stacks", stack.id, how);
    io.out(`${values.rollback ? "rolling back" : "finishing the upgrade of"} stack ${name}\n`);
    if (!values.detach) await waitForStack(io, client, stack, { timeoutMs });
    return 0;
  }
  const offered = (stack.upgradeVersions ?? {}) as Record<string, string>;
  const versions = Object.keys(offered);
  const target = version ?? versions.at(-1);
  if (!target || !offered[target])
    throw new CommandError(
      versions.length === 0
        ? `stack ${name} has no catalog upgrade available`
        : `stack ${name} can go to ${versions.join(", ")}, not ${target}`,
    );
  await client.action("stacks", stack.id, "upgrade", {
    externalId: offered[target],
    answers: answersOf(io, values),
  });
  io.out(`upgrading stack ${name} to ${target} (${offered[target]})\n`);
  if (!values.detach) await waitForStack(io, client, stack, { timeoutMs, states: ["active", "upgraded"] });
  return 0;
}
