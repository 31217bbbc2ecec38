/**
 * `corral scale SERVICE=N ...`: sets services' scale (`PUT services/<id> {scale}`), then waits until
 * that many containers run, like `rancher scale` / `rancher-compose scale`.
 */
import {
  CommandError,
  type Io,
  num,
  openProject,
  parseCommand,
  runCommand,
  stackArg,
  UsageError,
} from "./cli.ts";
import type { Resource } from "./client.ts";
import { waitForStack } from "./converge.ts";

const help = `usage: corral scale [-p STACK] [-d] SERVICE=N [SERVICE=N ...]

Sets how many containers each service runs and waits until they do. SERVICE may be
STACK/SERVICE to name a service of another stack.

  -p, --stack NAME      stack name (default: the current folder's name)
  -d, --detach          do not wait for the containers
      --timeout S       give up waiting after S seconds (default 300)
      --project ENV     environment id or name (default: CORRAL_PROJECT, else Default)
      --url URL, --access-key KEY, --secret-key KEY   as for 'corral up'
`;

const options = {
  stack: { type: "string", short: "p" },
  detach: { type: "boolean", short: "d" },
  timeout: { type: "string" },
} as const;

/** One `[stack/]service=N` argument. */
export interface ScaleRequest {
  stack: string;
  service: string;
  scale: number;
}

/** Parses the `SERVICE=N` arguments; the stack defaults to `defaultStack`. */
export function parseScaleArgs(args: string[], defaultStack: string): ScaleRequest[] {
  if (args.length === 0) throw new UsageError("name at least one SERVICE=N");
  return args.map((arg) => {
    const m = /^(?:([^/=]+)\/)?([^/=]+)=(\d+)$/.exec(arg);
    if (!m) throw new UsageError(`expected SERVICE=N with N a whole number, got '${arg}'`);
    const scale = Number(m[3]);
    if (scale > 10_000) throw new UsageError(`scale ${scale} of ${m[2]} is more than 10000`);
    return { stack: m[1] ?? defaultStack, service: m[2]!, scale };
  });
}

/** `corral scale`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  return runCommand(io, "scale", async () => {
    const parsed = parseCommand(io, argv, options, help);
    if (!parsed) return 0;
    const requests = parseScaleArgs(parsed.positionals, stackArg(io, parsed.values));
    const timeoutMs = num(parsed.values, "timeout", 300) * 1000;
    const client = await openProject(io, parsed.values);
    // Resolve every name first: a typo in the third argument must not leave the first two applied.
    const stacks = new Map<string, { stack: Resource; services: Resource[] }>();
    const targets: { stack: Resource; svc: Resource; scale: number }[] = [];
    for (const r of requests) {
      if (!stacks.has(r.stack)) {
        const stack = await client.requireStack(r.stack);
        stacks.set(r.stack, { stack, services: await client.services(stack.id) });
      }
      const { stack, services } = stacks.get(r.stack)!;
      const svc = services.find((s) => s.name === r.service);
      if (!svc) {
        const known = services.map((s) => s.name).join(", ") || "none";
        throw new CommandError(`stack ${stack.name} has no service named ${r.service} (services: ${known})`);
      }
      if (svc.global)
        throw new CommandError(`${r.service} is a global service: it runs one container per host`);
      targets.push({ stack, svc, scale: r.scale });
    }
    for (const t of targets) {
      await client.update("services", t.svc.id, { scale: t.scale });
      io.out(`${t.svc.name}: scale ${t.svc.scale} -> ${t.scale}\n`);
    }
    if (parsed.values.detach) return 0;
    for (const { stack } of stacks.values()) {
      const only = targets.filter((t) => t.stack.id === stack.id).map((t) => t.svc.name ?? "");
      await waitForStack(io, client, stack, { timeoutMs, only, states: ["active", "upgraded"] });
    }
    return 0;
  });
}
