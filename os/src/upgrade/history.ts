// The slot history on the state partition: what each upgrade, trial boot, promotion and rollback
// did and why, one JSON line per event, kept across reboots so `corral os boot-log` can say why a
// machine came back on its old system. The pending upgrade (one at a time) is kept beside it.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Slot } from "../install/plan.ts";

/** Where the records live (var/lib/corral is on the state partition when there is one). */
export const osStateDir = "var/lib/corral/os";

/** One event of the slot history. */
export interface SlotEvent {
  at: string;
  event:
    | "upgrade-written"
    | "rollback-requested"
    | "trial-boot"
    | "healthy"
    | "unhealthy"
    | "rolled-back"
    | "upgrade-refused";
  slot: Slot;
  version?: string;
  /** Seconds since the kernel started, for events of a boot. */
  sinceKernelS?: number;
  reason?: string;
}

/** An upgrade (or a rollback by hand) waiting for its slot to prove healthy. */
export interface PendingTrial {
  from: Slot;
  to: Slot;
  version: string;
  requested: string;
  /** pending: written, not booted yet; trying: the slot booted; failed: its deadline passed. */
  status: "pending" | "trying" | "failed";
  reason?: string;
}

/** The history file and the pending-trial file under a root. */
export function recordPaths(root: string) {
  return {
    history: join(root, osStateDir, "boot-history.jsonl"),
    pending: join(root, osStateDir, "trial.json"),
  };
}

/** Appends one event; a full or read-only state partition must not stop a boot over a record. */
export function recordEvent(root: string, e: Omit<SlotEvent, "at">): SlotEvent {
  const event = { at: new Date().toISOString(), ...e };
  try {
    const file = recordPaths(root).history;
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify(event)}\n`);
  } catch {}
  return event;
}

/** The history, oldest first, skipping torn lines. */
export function readHistory(root: string): SlotEvent[] {
  let text = "";
  try {
    text = readFileSync(recordPaths(root).history, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SlotEvent];
      } catch {
        return [];
      }
    });
}

/** The pending trial, if any. */
export function readPending(root: string): PendingTrial | undefined {
  const file = recordPaths(root).pending;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PendingTrial;
  } catch {
    return undefined;
  }
}

/** Writes (or with undefined, removes) the pending trial. */
export function writePending(root: string, p: PendingTrial | undefined): void {
  const file = recordPaths(root).pending;
  if (!p) return void rmSync(file, { force: true });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(p, null, 2)}\n`);
}

/** One line for people: `2026-12-02T15:00:00Z  unhealthy  slot B v2: user-docker: starting`. */
export function formatEvent(e: SlotEvent): string {
  const at = e.sinceKernelS === undefined ? "" : ` (${e.sinceKernelS.toFixed(1)}s after kernel start)`;
  return `${e.at}  ${e.event.padEnd(18)} slot ${e.slot}${e.version ? ` ${e.version}` : ""}${at}${e.reason ? `: ${e.reason}` : ""}`;
}
