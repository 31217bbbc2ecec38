// Boot counting: a slot booted on trial (grubenv's corral_try, which GRUB cleared before booting it,
// or `corral os upgrade --kexec` before its jump: kexec.ts)
// must become healthy before its deadline; only then does PID 1 make it the active slot. Otherwise
// PID 1 records why and reboots, and GRUB boots the active (previous) slot: one trial, no loop. A
// trial that never got this far (a kernel or PID 1 that does not come up) ends the same way at the
// next power cycle or watchdog reset, and the old slot's PID 1 records it from the pending trial.
import type { Slot } from "../install/plan.ts";
import { otherSlot, type SlotEnv } from "./grubenv.ts";
import { type PendingTrial, readPending, recordEvent, writePending } from "./history.ts";

/** What the gate needs from PID 1, injectable for tests. */
export interface GateDeps {
  root: string;
  booted: Slot | undefined;
  recovery: boolean;
  /** grubenv's slot variables (mounts CORRAL_BOOT). */
  readEnv(): Promise<SlotEnv>;
  /** Makes `slot` the active one in grubenv. */
  activate(slot: Slot): Promise<void>;
  /** What is not healthy yet; empty when healthy. */
  problems(): Promise<string[]>;
  /** Waits until the state partition (where the records live) is mounted, or the boot gave up. */
  stateReady(): Promise<void>;
  version: string;
  deadlineS: number;
  uptimeS(): number;
  reboot(): void;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
}

/** What the gate decided. */
export type GateResult = "not-installed" | "recovery" | "normal" | "promoted" | "rolled-back-now";

/** Notes a trial that ended before this boot (the old slot came back): it failed. */
function closeFailedTrial(d: GateDeps, booted: Slot, p: PendingTrial): void {
  const reason =
    p.status === "failed"
      ? (p.reason ?? "not healthy before its deadline")
      : p.status === "trying"
        ? "it booted but stopped before its health deadline was reached (hang, crash or power loss)"
        : "it never reached its health check (the kernel, initrd or PID 1 did not come up)";
  recordEvent(d.root, {
    event: "rolled-back",
    slot: booted,
    version: d.version,
    reason: `slot ${p.to} (${p.version}) failed: ${reason}`,
  });
  d.log(`the trial of slot ${p.to} (${p.version}) failed (${reason}); running slot ${booted}\n`);
  writePending(d.root, undefined);
}

/** Runs the gate for this boot; resolves once decided (a failed trial also calls reboot). */
export async function gateBoot(d: GateDeps): Promise<GateResult> {
  if (!d.booted) return "not-installed";
  if (d.recovery) return "recovery";
  const env = await d.readEnv();
  await d.stateReady();
  const pending = readPending(d.root);
  if (d.booted === env.active) {
    // A trial that was due (the other slot) but did not stay: it failed. A pending one that was
    // never booted (try still set) waits for its boot.
    if (pending && pending.to !== d.booted && env.try !== pending.to) closeFailedTrial(d, d.booted, pending);
    return "normal";
  }
  // On trial: this slot is not the active one.
  const trial: PendingTrial =
    pending?.to === d.booted
      ? { ...pending, status: "trying" }
      : {
          from: otherSlot(d.booted),
          to: d.booted,
          version: d.version,
          requested: new Date().toISOString(),
          status: "trying",
        };
  writePending(d.root, trial);
  recordEvent(d.root, { event: "trial-boot", slot: d.booted, version: d.version, sinceKernelS: d.uptimeS() });
  d.log(
    `slot ${d.booted} (${d.version}) is on trial: healthy within ${d.deadlineS}s of kernel start, or back to slot ${env.active}\n`,
  );
  let last: string[] = ["not checked yet"];
  while (d.uptimeS() < d.deadlineS) {
    last = await d.problems().catch((e: unknown) => [e instanceof Error ? e.message : String(e)]);
    if (last.length === 0) {
      await d.activate(d.booted);
      writePending(d.root, undefined);
      recordEvent(d.root, {
        event: "healthy",
        slot: d.booted,
        version: d.version,
        sinceKernelS: d.uptimeS(),
      });
      d.log(`slot ${d.booted} (${d.version}) is healthy: now the active slot\n`);
      return "promoted";
    }
    await d.sleep(2000);
  }
  const reason = `not healthy ${d.deadlineS}s after kernel start: ${last.join("; ")}`;
  writePending(d.root, { ...trial, status: "failed", reason });
  recordEvent(d.root, {
    event: "unhealthy",
    slot: d.booted,
    version: d.version,
    sinceKernelS: d.uptimeS(),
    reason,
  });
  d.log(`slot ${d.booted} ${reason}; rebooting into slot ${env.active}\n`);
  d.reboot();
  return "rolled-back-now";
}
