/**
 * `corral logs SERVICE`: the output of every container of a service, each line prefixed with
 * `container-name | `, like `rancher logs` / `docker-compose logs`. Each container's output comes
 * through the `logs` action's single-use websocket.
 */
import {
  CommandError,
  type Io,
  num,
  openProject,
  parseCommand,
  runCommand,
  stackArg,
  str,
  UsageError,
} from "./cli.ts";
import type { ProjectClient, Resource } from "./client.ts";

const help = `usage: corral logs [-p STACK] [-f] [--lines N] SERVICE

Prints the logs of every container of a service, each line prefixed 'container-name | '.
SERVICE may be STACK/SERVICE.

  -p, --stack NAME      stack name (default: the current folder's name)
  -f, --follow          keep printing new output until Ctrl-C
  -n, --lines N         lines of past output per container (default 100)
      --project ENV     environment id or name (default: CORRAL_PROJECT, else Default)
      --url URL, --access-key KEY, --secret-key KEY   as for 'corral up'
`;

const options = {
  stack: { type: "string", short: "p" },
  follow: { type: "boolean", short: "f" },
  lines: { type: "string", short: "n" },
} as const;

/** `corral logs`; answers the exit code. */
export function main(argv: string[], io: Io): Promise<number> {
  return runCommand(io, "logs", async () => {
    const parsed = parseCommand(io, argv, options, help);
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("name one SERVICE");
    const lines = str(values, "lines") !== undefined ? num(values, "lines", 100) : 100;
    if (!Number.isInteger(lines)) throw new UsageError("--lines needs a whole number");
    const arg = positionals[0]!;
    const slash = arg.indexOf("/");
    const stackName = slash > 0 ? arg.slice(0, slash) : stackArg(io, values);
    const serviceName = slash > 0 ? arg.slice(slash + 1) : arg;
    const client = await openProject(io, values);
    const stack = await client.requireStack(stackName);
    const services = await client.services(stack.id);
    const svc = services.find((s) => s.name === serviceName);
    if (!svc) {
      const known = services.map((s) => s.name).join(", ") || "none";
      throw new CommandError(`stack ${stack.name} has no service named ${serviceName} (services: ${known})`);
    }
    const containers = (await client.list("containers", { serviceId: svc.id }))
      .filter((c) => c.state !== "removed" && c.externalId)
      .sort((a, b) => Number(a.createIndex ?? 0) - Number(b.createIndex ?? 0));
    if (containers.length === 0) throw new CommandError(`service ${serviceName} has no containers yet`);
    const width = Math.max(...containers.map((c) => (c.name ?? c.id).length));
    const results = await Promise.all(
      containers.map((c) => streamLogs(io, client, c, width, { follow: Boolean(values.follow), lines })),
    );
    const failed = results.filter((r): r is string => r !== null);
    for (const f of failed) io.err(`corral logs: ${f}\n`);
    return failed.length === containers.length ? 1 : 0;
  });
}

/** Streams one container's logs, prefixing each line; answers an error message or null. */
async function streamLogs(
  io: Io,
  client: ProjectClient,
  container: Resource,
  width: number,
  body: { follow: boolean; lines: number },
): Promise<string | null> {
  const name = container.name ?? container.id;
  const prefix = `${name.padEnd(width)} | `;
  let access: { url?: string; token?: string };
  try {
    access = await client.action<{ url?: string; token?: string }>("containers", container.id, "logs", body);
  } catch (e) {
    return `${name}: ${(e as Error).message}`;
  }
  if (!access.url) return `${name}: the server gave no logs URL`;
  const url = access.url.includes("token=") ? access.url : `${access.url}?token=${access.token ?? ""}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const decoder = new TextDecoder();
    let pending = "";
    const write = (text: string) => {
      pending += text;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      if (parts.length > 0) io.out(parts.map((l) => `${prefix}${l.replace(/\r$/, "")}\n`).join(""));
    };
    const onAbort = () => ws.close(1000, "client done");
    io.signal?.addEventListener("abort", onAbort, { once: true });
    ws.onmessage = (ev) =>
      write(typeof ev.data === "string" ? ev.data : decoder.decode(ev.data as ArrayBuffer, { stream: true }));
    ws.onerror = () => {
      /* The close event that follows carries the reason. */
    };
    ws.onclose = (ev) => {
      io.signal?.removeEventListener("abort", onAbort);
      write(decoder.decode());
      if (pending) io.out(`${prefix}${pending}\n`);
      const clean = ev.code === 1000 || ev.code === 1005 || io.signal?.aborted;
      resolve(clean ? null : `${name}: logs stream closed: ${ev.reason || `code ${ev.code}`}`);
    };
  });
}
