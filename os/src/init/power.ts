import { sleep } from "@corral/lib";
import { rebootCommand, rebootSyscall, syncAll } from "./libc.ts";

/**
 * What the machine does once everything is stopped. kexec boots the kernel loaded beforehand
 * (`corral os upgrade --kexec`, upgrade/kexec.ts) instead of resetting through the firmware.
 */
export type PowerAction = "poweroff" | "reboot" | "halt" | "kexec";

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

/** The reboot(2) command of an action. */
export function rebootCommandOf(action: PowerAction): number {
  if (action === "reboot") return rebootCommand.restart;
  if (action === "poweroff") return rebootCommand.powerOff;
  if (action === "kexec") return rebootCommand.kexec;
  return rebootCommand.halt;
}

/**
 * The real reboot(2) call for an action. A kexec that the kernel refuses (nothing loaded any more)
 * returns here: everything is already stopped, so the machine restarts through the firmware, and
 * GRUB boots the active slot (corral_try was cleared for the kexec; the old slot's boot then closes
 * the trial as one that never came up).
 */
export function rebootNow(action: PowerAction, syscall: (cmd: number) => number = rebootSyscall): void {
  syncAll();
  if (syscall(rebootCommandOf(action)) !== 0 && action === "kexec") syscall(rebootCommand.restart);
}
