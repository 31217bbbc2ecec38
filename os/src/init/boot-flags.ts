import { setLogLevel } from "@corral/lib";
import type { Cmdline } from "../config/cmdline.ts";
import type { CorralConfig } from "../config/config-schema.ts";

/** What the kernel command line asks of this boot beyond config. */
export interface BootFlags {
  /** `corral.debug` (or `rancher.debug`): debug logging in PID 1 and System Docker. */
  debug: boolean;
  /**
   * `corral.recovery` (or `rancher.recovery`, as the GRUB "recovery console" entry passes it): stop
   * after the state partition is mounted and give the console a shell instead of booting.
   */
  recovery: boolean;
}

/** Truthiness of a command line value: a bare flag, true, 1, yes, on. */
function on(v: unknown): boolean {
  if (typeof v === "string") return /^(true|1|yes|on)$/i.test(v);
  return v === true || v === 1;
}

/**
 * Reads the boot flags. Recovery comes from the command line only (an OEM or saved config asking
 * for it would trap the machine in recovery for good); debug from the command line or the config.
 */
export function bootFlags(cmdline: Cmdline | undefined, config: CorralConfig): BootFlags {
  const fromCmdline = (cmdline?.config.corral ?? {}) as Record<string, unknown>;
  return {
    debug: on(fromCmdline.debug) || config.corral?.debug === true,
    recovery: on(fromCmdline.recovery),
  };
}

/** Turns debug logging on for this process and the programs it starts. */
export function applyDebug(flags: BootFlags): void {
  if (!flags.debug) return;
  setLogLevel("debug");
  process.env.CORRAL_LOG_LEVEL = "debug";
}

/** Thrown by the boot's recovery phase: run-init shows the recovery console with this message. */
export class RecoveryRequested extends Error {
  constructor() {
    super(
      "recovery console requested on the kernel command line (corral.recovery=true); the state partition is mounted, nothing else was started",
    );
  }
}
