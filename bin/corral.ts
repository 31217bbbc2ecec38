#!/usr/bin/env bun
// `corral`: the one multi-call entry point: `corral server` (with `--join`, plus a local agent: the
// README's main job), `corral agent`, and the user commands for stacks (`up`, `ps`, `logs`, `scale`,
// `rm`, as rancher-compose and the rancher CLI had them). Compiled into `dist/corral` by `npm run build`.
// Each command is loaded only when it runs: `corral server` must not pay for the agent's Docker
// client, nor the CLI for the server (start-up time is a measured target).

const usage = `usage: corral <command> [options]

commands:
  server   run the API server (:8080, SQLite in ./data); --join also joins this machine as a host
  agent    join this machine to a server and run its containers
  up       create or upgrade a stack from docker-compose.yml and rancher-compose.yml
  ps       list a stack's services (and with -a their containers)
  logs     print the logs of a service's containers
  scale    set how many containers services run
  rm       remove stacks
  catalog  list catalog templates, show one, install one as a stack, upgrade a catalog stack
  version  print the version

CorralOS (on the console):
  init     PID 1 of CorralOS
  config   get, set, export, validate, merge the OS config (cloud-config)
  service  list, enable, disable, up, logs system services
  console  list, switch, enable consoles (default, persistent debian)
  os       version, boot-log, poweroff, reboot
  engine   list, switch, enable User Docker's engine
  tls      gen: certificates for User Docker's TLS port (:2376)
  install  install CorralOS to a disk (GPT, GRUB, slots A and B, state partition)

run 'corral <command> --help' for a command's options.
`;

async function io() {
  return (await import("./commands/cli.ts")).processIo();
}

/** Runs the command named by argv[0]; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "server":
      return (await import("./commands/server.ts")).runServerCommand(rest);
    case "agent":
      return (await import("./commands/agent.ts")).runAgentCommand(rest);
    case "up":
      return (await import("./commands/up.ts")).main(rest, await io());
    case "ps":
      return (await import("./commands/ps.ts")).main(rest, await io());
    case "logs":
      return (await import("./commands/logs.ts")).main(rest, await io());
    case "scale":
      return (await import("./commands/scale.ts")).main(rest, await io());
    case "rm":
      return (await import("./commands/rm.ts")).main(rest, await io());
    case "catalog":
      return (await import("./commands/catalog.ts")).main(rest, await io());
    case "init":
      return (await import("@corral/os")).runInit(rest);
    case "config":
    case "service":
    case "console":
    case "install":
    case "engine":
    case "tls":
    case "os": {
      const os = await import("@corral/os");
      const run = {
        config: os.configCommand,
        service: os.serviceCommand,
        console: os.consoleCommand,
        os: os.osCommand,
        install: os.installCommand,
        engine: os.engineCommand,
        tls: os.tlsCommand,
      }[command];
      return run(rest, os.processCliIo());
    }
    case "version":
    case "--version":
      console.log("corral 0.1.0");
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`corral: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== -1) process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`corral: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
