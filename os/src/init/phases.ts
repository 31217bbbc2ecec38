import { formatProblem, type SourceProblem } from "../yaml-source.ts";
import type { Timeline } from "./timeline.ts";

/** One named boot phase. */
export interface Phase<C> {
  name: string;
  run(ctx: C): Promise<void>;
  /** The watchdog: a phase running longer fails, so a hang becomes a recovery console. */
  timeoutMs?: number;
}

/** Where PID 1 writes what the user must see: /dev/console when PID 1, stderr otherwise. */
export interface ConsoleOut {
  write(text: string): void;
}

/** The outcome of a boot: which phase failed, and the message the recovery console shows. */
export type BootResult = { ok: true } | { ok: false; phase: string; message: string };

/** The message of an error; config errors list every file:line:column. */
export function describeError(e: unknown): string {
  const problems = (e as { detail?: { problems?: SourceProblem[] } })?.detail?.problems;
  if (Array.isArray(problems) && problems.length > 0) return problems.map(formatProblem).join("\n");
  return e instanceof Error ? e.message : String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`phase '${name}' did not finish within ${ms / 1000} s (watchdog)`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs phases in order, logging `[i/n] name (ms)` to the console and the timeline. Stops at the
 * first failure (later phases depend on earlier ones) and returns it for the recovery console.
 */
export async function runPhases<C>(
  phases: readonly Phase<C>[],
  ctx: C,
  out: ConsoleOut,
  timeline: Timeline,
  defaultTimeoutMs = 120_000,
): Promise<BootResult> {
  const total = phases.length;
  for (const [i, phase] of phases.entries()) {
    const started = performance.now();
    try {
      await withTimeout(phase.run(ctx), phase.timeoutMs ?? defaultTimeoutMs, phase.name);
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      const message = describeError(e);
      timeline.phase({ name: phase.name, index: i + 1, total, ms, ok: false, error: message });
      out.write(`[${i + 1}/${total}] ${phase.name} FAILED (${ms} ms)\n`);
      return { ok: false, phase: phase.name, message };
    }
    const ms = Math.round(performance.now() - started);
    timeline.phase({ name: phase.name, index: i + 1, total, ms, ok: true });
    out.write(`[${i + 1}/${total}] ${phase.name} (${ms} ms)\n`);
  }
  return { ok: true };
}
