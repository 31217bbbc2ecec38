import { runAgent } from "@corral/agent";
import { parseFlags } from "./args.ts";

const help = `usage: corral agent --url URL [--token TOKEN] [--ca-checksum SHA256] [--state DIR]
                    [--docker-socket PATH] [--label k=v ...]

Joins this machine to the Corral server at URL with a registration token (from the environment's
registrationToken 'command'), keeps its key pair in the state folder (default /var/lib/corral/agent),
and runs the server's containers on the local Docker engine.

With an https URL, the first join needs --ca-checksum (CORRAL_CA_CHECKSUM), the SHA-256 of the
server's CA bundle as served at URL/cacerts (the registration command carries it). The agent checks
that CA against it and from then on trusts that CA only, for every request and the websocket; it is
kept in the state folder with the agent's keys, so later starts need neither token nor checksum.
Environment: CORRAL_URL, CORRAL_TOKEN, CORRAL_CA_CHECKSUM stand for the flags.
`;

/** `corral agent`: registers (when needed) and runs the agent until SIGINT/SIGTERM. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      url: { type: "string" },
      token: { type: "string" },
      "ca-checksum": { type: "string" },
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
    caChecksum:
      ((flags.values["ca-checksum"] as string | undefined) ?? process.env.CORRAL_CA_CHECKSUM) || undefined,
    stateDir: (flags.values.state as string | undefined) ?? "/var/lib/corral/agent",
    dockerSocket: flags.values["docker-socket"] as string | undefined,
    labels,
    signal: controller.signal,
  });
  return 0;
}
