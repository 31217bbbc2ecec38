/**
 * `corral rm STACK [STACK...]`: removes stacks with their services and containers, like `rancher
 * rm`, and waits until the services are gone.
 */
import {
  CommandError,
  type Io,
  num,
  openProject,
  parseCommand,
  pause,
  runCommand,
  UsageError,
} from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";

const help = `usage: corral rm [-d] STACK [STACK...]

Removes stacks (by name or id) with all their services and containers, and waits until they are gone.

  -d, --detach          do not wait for the removal to finish
      --timeout S       give up waiting after S seconds (default 300)
      --project ENV     environment id or name (default: CORRAL_PROJECT, else Default)
      --url URL, --access-key KEY, --secret-key KEY   as for 'corral up'
`;

const options = {
  detach: { type: "boolean", short: "d" },
  timeout: { type: "string" },
} as const;

/** `corral rm`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  return runCommand(io, "rm", async () => {
    const parsed = parseCommand(io, argv, options, help);
    if (!parsed) return 0;
    if (parsed.positionals.length === 0) throw new UsageError("name at least one stack");
    const timeoutMs = num(parsed.values, "timeout", 300) * 1000;
    const client = await openProject(io, parsed.values);
    // Resolve every name first, so a typo removes nothing.
    const stacks: Resource[] = [];
    const missing: string[] = [];
    for (const name of new Set(parsed.positionals)) {
      const stack = await client.findStack(name);
      if (stack) stacks.push(stack);
      else missing.push(name);
    }
    if (missing.length > 0)
      throw new CommandError(
        `no stack named ${missing.join(", ")} in environment ${client.name}; nothing removed`,
      );
    for (const stack of stacks) {
      await client.action("stacks", stack.id, "remove");
      io.out(`removing stack ${stack.name} (${stack.id})\n`);
    }
    if (parsed.values.detach) return 0;
    const deadline = Date.now() + timeoutMs;
    for (const stack of stacks) {
      await waitRemoved(io, client, stack, deadline);
      io.out(`removed stack ${stack.name}\n`);
    }
    return 0;
  });
}

/** Polls until the stack is removed and none of its services is left. */
async function waitRemoved(io: Io, client: ProjectClient, stack: Resource, deadline: number): Promise<void> {
  for (;;) {
    const current = await client.findStack(stack.id);
    const services = await client.services(stack.id);
    if (!current && services.length === 0) return;
    if (io.signal?.aborted) throw new CommandError("interrupted; the server keeps removing the stack");
    if (Date.now() >= deadline) {
      const left = services.map((s) => `${s.name} (${s.state})`).join(", ");
      throw new CommandError(
        `timed out waiting for stack ${stack.name} to be removed${left ? `: ${left}` : ""}`,
      );
    }
    await pause(io.pollMs ?? 1000, io.signal);
  }
}
