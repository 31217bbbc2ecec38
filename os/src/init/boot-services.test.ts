import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, until } from "../../testing/services.ts";
import { Supervisor } from "../services/supervisor.ts";
import { realHost } from "../system/host.ts";
import { type BootContext, bootPhases, shipped } from "./boot-phases.ts";
import { runPhases } from "./phases.ts";
import { Timeline } from "./timeline.ts";

/** A root with these service.yml files and a context whose supervisor runs on the fake engine. */
function boot(services: Record<string, string>, engine: FakeEngine) {
  const root = mkdtempSync(join(tmpdir(), "corral-boot-"));
  for (const [name, yaml] of Object.entries(services)) {
    mkdirSync(join(root, shipped.services, name), { recursive: true });
    writeFileSync(join(root, shipped.services, name, "service.yml"), yaml);
  }
  const lines: string[] = [];
  const ctx: BootContext = {
    host: realHost(root),
    out: { write: (t) => void lines.push(t) },
    timeline: new Timeline(join(root, "run/corral/boot.log")),
    config: {},
    warnings: [],
    supervisor: new Supervisor(engine, quiet),
  };
  const phase = bootPhases().find((p) => p.name === "system services")!;
  return { ctx, lines, run: () => runPhases([phase], ctx, ctx.out, ctx.timeline) };
}

describe("system services phase", () => {
  test("a service that fails is a warning and is retried, not a reason for the recovery console", async () => {
    const engine = new FakeEngine();
    engine.failStart.set("bad", 1);
    const b = boot(
      { bad: "image: img/bad\n", good: "image: img/good\n", app: "image: a\nafter: [bad]\n" },
      engine,
    );
    expect(await b.run()).toEqual({ ok: true });
    expect(b.ctx.warnings).toEqual([
      "system service: bad: backoff (1 restart): start failed: cannot start container bad: transient engine error",
      "system service: app: waiting: needs bad, not ready yet",
    ]);
    expect(engine.starts("good")).toBe(1);
    const sup = b.ctx.supervisor!;
    await until(() => sup.status().every((s) => s.state === "running"));
    await sup.stopAll();
  });

  test("services that cannot be planned still fail the phase", async () => {
    const engine = new FakeEngine();
    const b = boot({ a: "image: x\nafter: [b]\n", b: "image: x\nafter: [a]\n" }, engine);
    expect(await b.run()).toEqual({
      ok: false,
      phase: "system services",
      message: "services depend on each other in a cycle: a -> b -> a",
    });
  });
});
