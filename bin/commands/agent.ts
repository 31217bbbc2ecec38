import { runAgent } from "@corral/agent";
import { parseFlags } from "./args.ts";

const help = `usage: corral agent --url URL [--token TOKEN] [--state DIR] [--docker-socket PATH] [--label k=v ...]

Joins this machine to the Corral server at URL with a registration token (from the environment's
registrationToken 'command'), keeps its key pair in the state folder (default /var/lib/corral/agent),
and runs the server's containers on the local Docker engine.
`;

/** `corral agent`: registers (when needed) and runs the agent until SIGINT/SIGTERM. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      url: { type: "string" },
      token: { type: "string" },
      state: { type: "string" },
      "docker-socket": { type: "string" },
      label: { type: "string", multiple: true },
    },
    help,
  );
  if (!flags) return process.exitCode === 2 ? 2 : 0;
  const url = (flags.values.url as string | undefined) ?? process.env.CORRAL_URL;
  if (!url) {
    process.stderr.write(`corral agent: --url is required\n\n${help}`);
    return 2;
  }
  const labels: Record<string, string> = {};
  for (const l of (flags.values.label as unknown as string[] | undefined) ?? []) {
    const eq = l.indexOf("=");
    if (eq <= 0) {
      process.stderr.write(`corral agent: --label needs key=value, got '${l}'\n`);
      return 2;
    }
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  await runAgent({
    url: url.replace(/\/+$/, ""),
    token: (flags.values.token as string | undefined) ?? process.env.CORRAL_TOKEN,
    stateDir: (flags.values.state as string | undefined) ?? "/var/lib/corral/agent",
    dockerSocket: flags.values["docker-socket"] as string | undefined,
    labels,
    signal: controller.signal,
  });
  return 0;
}
