/** Where a command writes, injectable for tests. Exit codes: 0 ok, 1 failure, 2 usage. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads stdin fully (`corral config merge` without a file). */
  stdin(): Promise<string>;
  /** The root prefix (CORRAL_ROOT), `/` on CorralOS. */
  root: string;
  /** PID 1's control socket. */
  initSocket: string;
  /** The caller's user id when not the process's own (tests acting as the console user). */
  uid?: number;
}

/** The process's own streams. */
export function processCliIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stdin: () => new Response(Bun.stdin.stream()).text(),
    root: process.env.CORRAL_ROOT ?? "/",
    initSocket: process.env.CORRAL_INIT_SOCKET ?? "/run/corral/init.sock",
  };
}

/** Prints a usage error and returns 2. */
export function usageError(io: CliIo, message: string, usage: string): number {
  io.err(`corral: ${message}\n\n${usage}`);
  return 2;
}

/** Runs a command body, turning thrown errors into `corral: message` and exit 1. */
export async function failing(io: CliIo, fn: () => Promise<number> | number): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    io.err(`corral: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
