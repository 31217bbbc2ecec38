/**
 * `corral ps`: the services of a stack (NAME, STATE, SCALE current/desired, HEALTH, IMAGE), and with
 * `-a` their containers too (NAME, STATE, HOST, IP, HEALTH), like `rancher-compose ps`.
 */
import { type Io, openProject, parseCommand, runCommand, stackArg, table, UsageError } from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";

const help = `usage: corral ps [-p STACK] [-a]

Lists the services of a stack with their state, running/desired scale, health and image.

  -p, --stack NAME      stack name (default: the current folder's name)
  -a, --all             list the containers of each service too
      --project ENV     environment id or name (default: CORRAL_PROJECT, else Default)
      --url URL, --access-key KEY, --secret-key KEY   as for 'corral up'
`;

const options = {
  stack: { type: "string", short: "p" },
  all: { type: "boolean", short: "a" },
} as const;

/** The image a service runs, without the `docker:` prefix. */
function imageOf(svc: Resource): string {
  const lc = svc.launchConfig as { imageUuid?: string } | null | undefined;
  return (lc?.imageUuid ?? "").replace(/^docker:/, "") || "-";
}

/** `corral ps`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  return runCommand(io, "ps", async () => {
    const parsed = parseCommand(io, argv, options, help);
    if (!parsed) return 0;
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    const client = await openProject(io, parsed.values);
    const stack = await client.requireStack(stackArg(io, parsed.values));
    const services = await client.services(stack.id);
    const rows = services.map((s) => [
      s.name ?? s.id,
      s.state,
      s.global ? `${s.currentScale ?? 0}/global` : `${s.currentScale ?? 0}/${s.scale ?? 0}`,
      String(s.healthState ?? "-"),
      imageOf(s),
    ]);
    io.out(table(["NAME", "STATE", "SCALE", "HEALTH", "IMAGE"], rows));
    if (parsed.values.all) io.out(`\n${await containerTable(client, stack, services)}`);
    return 0;
  });
}

/** The containers of the stack's services, grouped by service, with host names resolved. */
async function containerTable(client: ProjectClient, stack: Resource, services: Resource[]): Promise<string> {
  const containers = (await client.list("containers", { stackId: stack.id })).filter(
    (c) => c.state !== "removed",
  );
  const order = new Map(services.map((s, i) => [s.id, i]));
  containers.sort(
    (a, b) =>
      (order.get(String(a.serviceId)) ?? 1e9) - (order.get(String(b.serviceId)) ?? 1e9) ||
      Number(a.createIndex ?? 0) - Number(b.createIndex ?? 0) ||
      (a.name ?? "").localeCompare(b.name ?? ""),
  );
  const hosts = containers.some((c) => c.hostId) ? await client.list("hosts") : [];
  const hostName = new Map(hosts.map((h) => [h.id, String(h.name || h.hostname || h.id)]));
  const rows = containers.map((c) => [
    c.name ?? c.id,
    c.state,
    c.hostId ? (hostName.get(String(c.hostId)) ?? String(c.hostId)) : "-",
    String(c.primaryIpAddress || "-"),
    String(c.healthState ?? "-"),
  ]);
  return table(["NAME", "STATE", "HOST", "IP", "HEALTH"], rows);
}
