// GRUB's environment block (/boot/grub/grubenv on CORRAL_BOOT): the only state the boot loader and
// PID 1 share. GRUB reads corral_active and corral_try at every boot and clears corral_try before
// booting it (grub.cfg, install/plan.ts); PID 1 sets corral_active once a tried slot is healthy.
import { readFileSync } from "node:fs";
import type { Slot } from "../install/plan.ts";

/** The variables CorralOS keeps in grubenv. */
export interface SlotEnv {
  /** The slot GRUB boots when nothing is to be tried. */
  active: Slot;
  /** The slot GRUB boots once at the next boot, or undefined. */
  try?: Slot;
}

/** Parses a grubenv block (`# GRUB Environment Block`, `key=value` lines, `#` padding). */
export function parseGrubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const asSlot = (v: string | undefined): Slot | undefined => (v === "A" || v === "B" ? v : undefined);

/** The slot variables of a parsed grubenv; a missing or odd corral_active means A, as grub.cfg reads it. */
export function slotEnv(vars: Record<string, string>): SlotEnv {
  return { active: asSlot(vars.corral_active) ?? "A", try: asSlot(vars.corral_try) };
}

/** Reads the slot variables of a grubenv file. */
export function readSlotEnv(file: string): SlotEnv {
  return slotEnv(parseGrubEnv(readFileSync(file, "latin1")));
}

/** The other slot. */
export function otherSlot(s: Slot): Slot {
  return s === "A" ? "B" : "A";
}
