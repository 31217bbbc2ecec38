import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, setLogLevel } from "@corral/lib";
import { parseCmdline } from "../config/cmdline.ts";
import { grubConfig } from "../install/plan.ts";
import { applyDebug, bootFlags } from "./boot-flags.ts";
import { bootPhases } from "./boot-phases.ts";
import { runPhases } from "./phases.ts";
import { recoveryConsole } from "./recovery.ts";
import { Timeline } from "./timeline.ts";

const timeline = () => new Timeline(join(mkdtempSync(join(tmpdir(), "corral-flags-")), "boot.log"));
const flags = (cmdline: string, config = {}) => bootFlags(parseCmdline(cmdline), config);

/** The kernel command line of a GRUB menu entry, by its title. */
function entryCmdline(cfg: string, title: string): string {
  const at = cfg.indexOf(`menuentry "${title}"`);
  if (at < 0) throw new Error(`no entry ${title}`);
  const line = cfg
    .slice(at)
    .split("\n")
    .find((l) => l.trim().startsWith("linux "));
  return (line ?? "").trim().split(/\s+/).slice(2).join(" ");
}

describe("corral.debug and corral.recovery on the kernel command line", () => {
  test("bare flags, values, the rancher alias, and what is not on", () => {
    expect(flags("console=ttyS0 corral.debug")).toEqual({ debug: true, recovery: false });
    expect(flags("rancher.debug=true rancher.recovery=true")).toEqual({ debug: true, recovery: true });
    expect(flags("corral.recovery corral.debug=false")).toEqual({ debug: false, recovery: true });
    expect(flags("corral.recovery=false corral.debug=0")).toEqual({ debug: false, recovery: false });
    expect(flags("quiet panic=10 -- corral.recovery=yes")).toEqual({ debug: false, recovery: true });
    expect(flags("corral.recoveryx=true debug")).toEqual({ debug: false, recovery: false });
  });

  test("debug may come from config; recovery never does (it would trap the machine)", () => {
    expect(flags("", { corral: { debug: true, recovery: true } })).toEqual({ debug: true, recovery: false });
  });

  test("the installed disk's and the ISO's recovery entries ask for recovery; the normal ones do not", () => {
    const cfg = grubConfig({ slotUuids: { A: "a", B: "b" }, append: "" });
    expect(flags(entryCmdline(cfg, "CorralOS recovery console (slot A)")).recovery).toBe(true);
    expect(flags(entryCmdline(cfg, "CorralOS recovery console (slot B)")).recovery).toBe(true);
    const normal = cfg.match(/linux \S+ ([^\n]*corral\.slot=A[^\n]*)/)?.[1] ?? "";
    expect(normal).not.toContain("recovery");
    expect(flags(normal).recovery).toBe(false);
    const iso = readFileSync(join(import.meta.dir, "../../../build/iso.sh"), "utf8");
    expect(flags(entryCmdline(iso, "CorralOS (recovery console)")).recovery).toBe(true);
  });
});

describe("what the flags do", () => {
  const envLevel = process.env.CORRAL_LOG_LEVEL;
  afterEach(() => {
    setLogLevel(undefined);
    if (envLevel === undefined) delete process.env.CORRAL_LOG_LEVEL;
    else process.env.CORRAL_LOG_LEVEL = envLevel;
  });

  test("debug: loggers made before and after log debug lines", () => {
    const before = createLogger("before");
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((t: string) => {
      lines.push(String(t));
      return true;
    }) as typeof process.stderr.write;
    try {
      setLogLevel("info");
      before.debug("hidden");
      applyDebug(flags("corral.debug"));
      before.debug("shown", { a: 1 });
      createLogger("after").debug("also shown");
    } finally {
      process.stderr.write = write;
    }
    expect(lines.some((l) => l.includes("hidden"))).toBe(false);
    expect(lines.some((l) => l.includes("debug [before] shown a=1"))).toBe(true);
    expect(lines.some((l) => l.includes("debug [after] also shown"))).toBe(true);
    expect(process.env.CORRAL_LOG_LEVEL).toBe("debug");
  });

  test("recovery: the boot stops at the recovery phase, before datasources and services, and says why", async () => {
    const phases = bootPhases();
    const names = phases.map((p) => p.name);
    const at = names.indexOf("recovery");
    expect(names.slice(0, at)).toEqual(["mounts", "kernel command line", "state partition", "modules"]);
    const out: string[] = [];
    const console = { write: (t: string) => void out.push(t) };
    const ctx = { flags: { debug: false, recovery: true } } as never;
    const result = await runPhases(phases.slice(at), ctx, console, timeline());
    expect(result).toMatchObject({ ok: false, phase: "recovery" });
    expect(out.join("")).toContain("recovery FAILED");
    const abort = new AbortController();
    await recoveryConsole(
      "recovery",
      result.ok ? "" : result.message,
      console,
      async () => {
        abort.abort();
        return 0;
      },
      abort.signal,
    );
    const text = out.join("");
    expect(text).toContain(
      "*** recovery console requested on the kernel command line (corral.recovery=true)",
    );
    expect(text).not.toContain("boot failed");
    // Without the flag the phase passes.
    expect(
      (
        await runPhases(
          [phases[at]!],
          { flags: { debug: false, recovery: false } } as never,
          console,
          timeline(),
        )
      ).ok,
    ).toBe(true);
  });
});
