import { describe, expect, test } from "bun:test";
import { consoleTail, guestLockedUp } from "./vm.ts";

describe("console checks of the image tests", () => {
  test("only a soft lockup of a minute or more counts as a locked-up guest", () => {
    expect(guestLockedUp("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [swapper/1:0]")).toBe(false);
    expect(guestLockedUp("watchdog: BUG: soft lockup - CPU#0 stuck for 64s! [kworker:1]")).toBe(true);
  });

  test("the console tail drops terminal escapes and keeps the last lines, bounded", () => {
    const grub = "\x1b[H\x1b[J\x1b[1;1H  Booting `CorralOS'\r\n\r\n\x1b[5;78Hnext\r\nlast line\r\n";
    expect(consoleTail(grub)).toBe(JSON.stringify("Booting `CorralOS' | next | last line"));
    expect(consoleTail("x".repeat(1000)).length).toBeLessThan(320);
    expect(consoleTail("")).toBe('""');
  });
});
