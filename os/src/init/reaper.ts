import { readdirSync, readFileSync } from "node:fs";
import { waitpidNoHang } from "./libc.ts";

/** Pid and parent of every zombie in `proc`. */
export function listZombies(proc = "/proc"): { pid: number; ppid: number }[] {
  const out: { pid: number; ppid: number }[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`${proc}/${name}/stat`, "utf8");
      // Fields after the command name, which may itself hold spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z") out.push({ pid: Number(name), ppid: Number(rest[1]) });
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

/**
 * Reaps orphans re-parented to this process (PID 1, or a subreaper in tests).
 *
 * Why not waitpid(-1): Bun waits for the children it spawned itself (dockerd, execa's programs) and
 * needs their exit status; a blanket waitpid(-1) would steal it, and Bun fails hard (ECHILD) when its
 * child is gone. Bun never waits for orphans, so they stay zombies. A zombie child first seen at
 * least `graceMs` ago is one Bun is not going to reap (Bun reaps its own within milliseconds, on
 * its event loop): only those are reaped, by pid. Bun has no SIGCHLD handler, so this runs on a timer.
 */
export class Reaper {
  private seen = new Map<number, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** How many orphans were reaped, for tests and `corral os status`. */
  reaped = 0;

  constructor(
    private readonly proc = "/proc",
    private readonly self = process.pid,
    private readonly wait: (pid: number) => { pid: number } = waitpidNoHang,
    private readonly graceMs = 1000,
  ) {}

  /** One scan: reaps zombies first seen at least graceMs ago, remembers the others. */
  scan(now = Date.now()): number {
    const zombies = listZombies(this.proc).filter((z) => z.ppid === this.self);
    const next = new Map<number, number>();
    let count = 0;
    for (const z of zombies) {
      const since = this.seen.get(z.pid) ?? now;
      if (now - since >= this.graceMs) {
        if (this.wait(z.pid).pid === z.pid) count++;
      } else {
        next.set(z.pid, since);
      }
    }
    this.seen = next;
    this.reaped += count;
    return count;
  }

  /** Scans every `intervalMs` until stopped; the timer does not keep the process alive. */
  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.scan(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
