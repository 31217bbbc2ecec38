import { sleep } from "@corral/lib";
import type { ConsoleOut } from "./phases.ts";

/** Starts an interactive shell on the console; resolves when it exits. Injected in tests. */
export type ShellSpawner = () => Promise<number>;

/** The real spawner: busybox sh with the console as its terminal. */
export function consoleShell(consolePath = "/dev/console", shell = "/bin/sh"): ShellSpawner {
  return async () => {
    const { openSync, closeSync } = await import("node:fs");
    const fd = openSync(consolePath, "r+");
    try {
      const proc = Bun.spawn([shell, "-l"], {
        stdin: fd,
        stdout: fd,
        stderr: fd,
        env: { ...process.env, PS1: "recovery# " },
      });
      return await proc.exited;
    } finally {
      closeSync(fd);
    }
  };
}

/**
 * The recovery console: prints why the boot stopped, then keeps a shell on the console for as long
 * as PID 1 lives (a shell that exits is started again, so the machine never sits silent). Returns
 * only when `signal` aborts (poweroff/reboot).
 */
export async function recoveryConsole(
  phase: string,
  message: string,
  out: ConsoleOut,
  spawnShell: ShellSpawner,
  signal?: AbortSignal,
): Promise<void> {
  const requested = phase === "recovery";
  out.write(
    (requested ? `\n*** ${message}\n\n` : `\n*** CorralOS boot failed in phase '${phase}':\n${message}\n\n`) +
      "*** Recovery console. Fix the problem (configs: /var/lib/corral/conf), then run 'corral os reboot'.\n\n",
  );
  while (!signal?.aborted) {
    const started = Date.now();
    try {
      await spawnShell();
    } catch (e) {
      out.write(`recovery shell failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    // A shell dying at once (no tty, no sh) must not spin the CPU.
    if (Date.now() - started < 1000) await sleep(1000, signal);
  }
}
