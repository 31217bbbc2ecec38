import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sourceError } from "../yaml-source.ts";
import { pollUntil } from "./boot-phases.ts";
import { type Phase, runPhases } from "./phases.ts";
import { recoveryConsole } from "./recovery.ts";
import { formatEntry, readTimeline, Timeline } from "./timeline.ts";

function fakeConsole() {
  const lines: string[] = [];
  return { lines, write: (t: string) => void lines.push(t), text: () => lines.join("") };
}

describe("boot phases", () => {
  test("each phase is logged [i/n] name (ms) and kept in the timeline", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "corral-tl-")), "run/corral/boot.log");
    let uptime = 1000;
    const tl = new Timeline(file, () => (uptime += 10));
    tl.milestone("pid1");
    const order: string[] = [];
    const phases: Phase<string[]>[] = ["mounts", "kernel command line"].map((name) => ({
      name,
      run: async (ctx) => void ctx.push(name),
    }));
    const out = fakeConsole();
    expect(await runPhases(phases, order, out, tl)).toEqual({ ok: true });
    expect(order).toEqual(["mounts", "kernel command line"]);
    expect(out.text()).toMatch(/^\[1\/2\] mounts \(\d+ ms\)\n\[2\/2\] kernel command line \(\d+ ms\)\n$/);
    const back = readTimeline(file);
    expect(back.map((e) => e.name)).toEqual(["pid1", "mounts", "kernel command line"]);
    expect(back[2]).toMatchObject({ kind: "phase", index: 2, total: 2, ok: true, sinceKernelMs: 1030 });
    expect(formatEntry(back[0]!)).toBe("-- pid1 at 1.010s");
  });

  test("a failing phase stops the boot with its config positions", async () => {
    const tl = new Timeline(join(mkdtempSync(join(tmpdir(), "corral-tl-")), "boot.log"));
    const out = fakeConsole();
    const ran: string[] = [];
    const result = await runPhases<null>(
      [
        {
          name: "config merge",
          run: async () => {
            throw sourceError([
              {
                file: "/var/lib/corral/conf/cloud-config.yml",
                line: 3,
                column: 5,
                reason: "unknown key 'x'",
              },
            ]);
          },
        },
        { name: "network", run: async () => void ran.push("network") },
      ],
      null,
      out,
      tl,
    );
    expect(result).toEqual({
      ok: false,
      phase: "config merge",
      message: "/var/lib/corral/conf/cloud-config.yml:3:5: unknown key 'x'",
    });
    expect(ran).toEqual([]);
    expect(tl.entries[0]).toMatchObject({ ok: false, error: result.ok ? "" : result.message });
  });

  test("the watchdog turns a hang into a failure", async () => {
    const tl = new Timeline(join(mkdtempSync(join(tmpdir(), "corral-tl-")), "boot.log"));
    const result = await runPhases<null>(
      [{ name: "state partition", timeoutMs: 50, run: () => new Promise(() => {}) }],
      null,
      fakeConsole(),
      tl,
    );
    expect(result).toMatchObject({
      ok: false,
      message: "phase 'state partition' did not finish within 0.05 s (watchdog)",
    });
  });

  test("the recovery console prints the error and keeps a shell until aborted", async () => {
    const out = fakeConsole();
    const abort = new AbortController();
    let shells = 0;
    await recoveryConsole(
      "config merge",
      "c.yml:1:1: bad",
      out,
      async () => {
        shells++;
        if (shells === 2) abort.abort();
        return 0;
      },
      abort.signal,
    );
    expect(shells).toBe(2);
    expect(out.text()).toContain("boot failed in phase 'config merge':\nc.yml:1:1: bad");
  });
});

describe("readiness polling", () => {
  test("retries until the probe answers", async () => {
    let tries = 0;
    const ok = await pollUntil(async () => {
      if (++tries < 3) throw new Error("not yet");
    }, 5_000);
    expect(ok).toBe(true);
    expect(tries).toBe(3);
  });

  test("gives up at its limit, or at once when aborted", async () => {
    const never = async () => {
      throw new Error("never");
    };
    expect(await pollUntil(never, 250)).toBe(false);
    const stop = new AbortController();
    let tries = 0;
    const started = Date.now();
    setTimeout(() => stop.abort(), 250);
    const ok = await pollUntil(
      async () => {
        tries++;
        throw new Error("never");
      },
      60_000,
      stop.signal,
    );
    expect(ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tries).toBeLessThan(10);
  });
});

describe("reaper", () => {
  test("reaps orphans re-parented to it, leaves Bun's own children to Bun", async () => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../testing/reaper-child.ts")], {
      stdout: "pipe",
    });
    const text = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(JSON.parse(text)).toEqual({ before: 1, after: 0, reaped: 1, code: 7 });
  });
});
