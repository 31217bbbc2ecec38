import { describe, expect, test } from "bun:test";
import type { TerminalSize } from "@corral/api";
import { terminalSizer } from "./terminal-size.ts";

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
};

describe("terminal sizes", () => {
  test("sizes asked for during a resize collapse into the last one", async () => {
    const applied: TerminalSize[] = [];
    let release = () => {};
    const size = terminalSizer(async (s) => {
      applied.push(s);
      if (applied.length === 1) await new Promise<void>((r) => (release = r));
    });
    size({ cols: 80, rows: 24 });
    size({ cols: 90, rows: 30 });
    size({ cols: 100, rows: 40 });
    release();
    await until(() => applied.length === 2);
    await Bun.sleep(20);
    expect(applied).toEqual([
      { cols: 80, rows: 24 },
      { cols: 100, rows: 40 },
    ]);
  });

  test("a refused resize is tried again until it is taken", async () => {
    let calls = 0;
    const size = terminalSizer(async () => {
      calls++;
      if (calls < 3) throw new Error("exec is not running");
    });
    size({ cols: 80, rows: 24 });
    await until(() => calls === 3);
    await Bun.sleep(50);
    expect(calls).toBe(3);
  });

  test("a resize always refused is dropped after a few tries, and the next still goes", async () => {
    const seen: number[] = [];
    let refuse = true;
    const size = terminalSizer(async (s) => {
      seen.push(s.cols);
      if (refuse) throw new Error("no such exec");
    });
    size({ cols: 80, rows: 24 });
    await until(() => seen.length === 10);
    await Bun.sleep(150);
    expect(seen.length).toBe(10);
    refuse = false;
    size({ cols: 81, rows: 24 });
    await until(() => seen.at(-1) === 81);
  });
});
