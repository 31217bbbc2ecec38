import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc, until } from "../../testing/services.ts";
import { Supervisor } from "./supervisor.ts";

const specs = () => [svc("a", ""), svc("b", "after: [a]"), svc("c", "after: [a]"), svc("d", "after: [b, c]")];

describe("System Docker going away and coming back", () => {
  test("while it is away services wait without counting failures; when it is back they run again", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, { ...quiet, maxRestarts: 2 });
    await sup.reconcile(specs(), {});
    engine.die();
    sup.engineLost();
    await until(() => sup.status().every((s) => s.state === "waiting"));
    expect(sup.status()[0]?.error).toBe("System Docker is not running");
    engine.revive();
    sup.engineBack();
    await until(() => sup.status().every((s) => s.state === "running"));
    expect(sup.status().map((s) => s.restarts)).toEqual([0, 0, 0, 0]);
    expect(["a", "b", "c", "d"].map((n) => engine.starts(n))).toEqual([2, 2, 2, 2]);
    await sup.stopAll();
  });

  test("a dockerd killed outright leaves its waits hanging: losing the engine ends them", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile(specs(), {});
    engine.vanish();
    sup.engineLost();
    await until(() => sup.status().every((s) => s.state === "waiting"));
    engine.revive();
    sup.engineBack();
    await until(() => sup.status().every((s) => s.state === "running"));
    expect(["a", "b", "c", "d"].map((n) => engine.starts(n))).toEqual([2, 2, 2, 2]);
    expect(sup.status().map((s) => s.restarts)).toEqual([0, 0, 0, 0]);
    await sup.stopAll();
  });

  test("a service held off in a crash loop is tried again at once when System Docker is back", async () => {
    const engine = new FakeEngine();
    engine.exitOnStart.set("a", 1);
    const sup = new Supervisor(engine, { ...quiet, maxRestarts: 2, cooldownMs: 3_600_000 });
    await sup.reconcile([svc("a", "")], {});
    await until(() => sup.status()[0]?.state === "crash-loop");
    engine.exitOnStart.delete("a");
    sup.engineLost();
    sup.engineBack();
    await until(() => sup.status()[0]?.state === "running");
    await sup.stopAll();
  });

  test("a reconcile while it is away fails; the next one, once it is back, works", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile([svc("a", "")], {});
    engine.die();
    sup.engineLost();
    await expect(sup.reconcile([svc("a", ""), svc("e", "")], {})).rejects.toThrow("system-docker.sock");
    engine.revive();
    sup.engineBack();
    const status = await sup.reconcile([svc("a", ""), svc("e", "")], {});
    expect(status.map((s) => s.name)).toEqual(["a", "e"]);
    await until(() => sup.status().every((s) => s.state === "running"));
    await sup.stopAll();
  });

  test("a shutdown while it is away does not wait for it", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile(specs(), {});
    engine.die();
    sup.engineLost();
    await sup.stopAll();
    expect(sup.status().every((s) => s.state === "stopped")).toBe(true);
  });
});
