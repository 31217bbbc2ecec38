import { sleep } from "@corral/lib";
import { rebootCommand, rebootSyscall, syncAll } from "./libc.ts";

/** What the machine does once everything is stopped. */
export type PowerAction = "poweroff" | "reboot" | "halt";

/** The steps of a shutdown, injectable so the order is tested without turning anything off. */
export interface PowerOps {
  stopServices(): Promise<void>;
  stopSystemDocker(): Promise<void>;
  /** kill(-1, sig): every process but PID 1. */
  killAll(signal: "SIGTERM" | "SIGKILL"): void;
  sync(): void;
  unmountAll(): Promise<void>;
  reboot(action: PowerAction): void;
  log(text: string): void;
}

/**
 * Shuts down in order: system services (reverse start order, User Docker among them), System
 * Docker, every other process (TERM, a grace period, KILL), sync, unmount (read-only remount where
 * busy), sync again, reboot(2). Each step's failure is logged and the next one still runs: a
 * shutdown that stops half-way is worse than an unclean one.
 */
export async function shutdown(action: PowerAction, ops: PowerOps, graceMs = 3000): Promise<void> {
  const step = async (name: string, fn: () => Promise<void> | void) => {
    ops.log(`shutdown: ${name}\n`);
    try {
      await fn();
    } catch (e) {
      ops.log(`shutdown: ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  };
  await step("stopping system services", () => ops.stopServices());
  await step("stopping System Docker", () => ops.stopSystemDocker());
  await step("terminating remaining processes", async () => {
    ops.killAll("SIGTERM");
    await sleep(graceMs);
    ops.killAll("SIGKILL");
  });
  await step("syncing", () => ops.sync());
  await step("unmounting", () => ops.unmountAll());
  await step("syncing", () => ops.sync());
  ops.log(`shutdown: ${action}\n`);
  ops.reboot(action);
}

/** The real reboot(2) call for an action. */
export function rebootNow(action: PowerAction): void {
  syncAll();
  rebootSyscall(
    action === "reboot"
      ? rebootCommand.restart
      : action === "poweroff"
        ? rebootCommand.powerOff
        : rebootCommand.halt,
  );
}
