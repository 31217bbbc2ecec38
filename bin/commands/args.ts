import { type ParseArgsConfig, parseArgs } from "node:util";

/** Parses a command's flags; on bad flags prints the error and the help text and returns null. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  help: string,
): { values: Record<keyof T, string | boolean | undefined> } | null {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
      strict: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(help);
      return null;
    }
    return parsed as unknown as { values: Record<keyof T, string | boolean | undefined> };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${help}`);
    process.exitCode = 2;
    return null;
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}
