import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One line of the boot timeline (JSON lines in /run/corral/boot.log). */
export interface TimelineEntry {
  /** A phase name, or a milestone such as `pid1`, `system-docker-ready`, `user-docker-ready`. */
  name: string;
  kind: "phase" | "milestone";
  /** 1-based index and count, for phases. */
  index?: number;
  total?: number;
  /** How long the phase took. */
  ms?: number;
  /** Milliseconds since the kernel started (from /proc/uptime) when the entry was written. */
  sinceKernelMs: number;
  ok: boolean;
  error?: string;
}

/** Where the timeline is written: RAM first, then copied to the state partition when it is mounted. */
export const bootLogPath = "/run/corral/boot.log";
/** The copy on the state partition (the last boot's timeline survives a reboot). */
export const persistentBootLogPath = "/var/lib/corral/boot.log";

/** Milliseconds since the kernel started: the first field of /proc/uptime. */
export function readUptimeMs(proc = "/proc"): number {
  try {
    return Math.round(Number(readFileSync(join(proc, "uptime"), "utf8").split(" ")[0]) * 1000);
  } catch {
    return Math.round(performance.now());
  }
}

/** The boot timeline, appended line by line so a crash mid-boot still leaves the phases before it. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private persistent: string | undefined;

  constructor(
    private readonly file: string,
    private readonly uptimeMs: () => number = readUptimeMs,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Records a point in time, like "System Docker ready". */
  milestone(name: string): TimelineEntry {
    return this.add({ name, kind: "milestone", sinceKernelMs: this.uptimeMs(), ok: true });
  }

  /** Records one finished phase. */
  phase(entry: Omit<TimelineEntry, "kind" | "sinceKernelMs">): TimelineEntry {
    return this.add({ ...entry, kind: "phase", sinceKernelMs: this.uptimeMs() });
  }

  /** From now on also append to `path` (on the state partition), starting with what is written so far. */
  persistTo(path: string): void {
    try {
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(this.file, path);
      this.persistent = path;
    } catch {
      // A read-only or full state partition must not fail the boot over a log.
    }
  }

  private add(entry: TimelineEntry): TimelineEntry {
    this.entries.push(entry);
    const line = `${JSON.stringify(entry)}\n`;
    appendFileSync(this.file, line);
    if (this.persistent) {
      try {
        appendFileSync(this.persistent, line);
      } catch {}
    }
    return entry;
  }
}

/** Reads a timeline file back (for `corral os boot-log`), skipping torn lines. */
export function readTimeline(file: string): TimelineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const out: TimelineEntry[] = [];
  for (const line of text.split("\n")) {
    try {
      if (line.trim()) out.push(JSON.parse(line) as TimelineEntry);
    } catch {}
  }
  return out;
}

/** The human form: `[i/n] name (ms)` for phases, `-- name at Xs` for milestones. */
export function formatEntry(e: TimelineEntry): string {
  const at = `${(e.sinceKernelMs / 1000).toFixed(3)}s`;
  if (e.kind === "milestone") return `-- ${e.name} at ${at}`;
  const status = e.ok ? "" : ` FAILED: ${e.error ?? ""}`;
  return `[${e.index}/${e.total}] ${e.name} (${e.ms} ms, at ${at})${status}`;
}
