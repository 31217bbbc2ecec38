import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc } from "../../testing/services.ts";
import { consolePinPath, pinConsole, withBootConsole } from "../init/console-pin.ts";
import { chosenConsole, isEnabled } from "./service-config.ts";
import { Supervisor } from "./supervisor.ts";

const specs = () => [
  svc("console", "console: default"),
  svc("console-debian", "console: debian\npersistent: true"),
  svc("user-docker", ""),
];

describe("consoles", () => {
  test("corral.console (or rancher.console) chooses one console; services_include cannot add another", () => {
    const [def, deb] = specs();
    expect(chosenConsole({})).toBe("default");
    expect([isEnabled(def!, {}), isEnabled(deb!, {})]).toEqual([true, false]);
    const debian = { corral: { console: "debian", services_include: { console: true } } };
    expect([isEnabled(def!, debian), isEnabled(deb!, debian)]).toEqual([false, true]);
    expect(() => svc("c", "console: Debian")).toThrow("console name");
  });

  test("switching stops the old console, keeps a persistent one's container, never touches the rest", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    await sup.reconcile(specs(), {});
    // Independent services start side by side: their events interleave.
    expect(engine.events.toSorted()).toEqual([
      "create console",
      "create user-docker",
      "start console",
      "start user-docker",
    ]);
    engine.events.length = 0;
    await sup.reconcile(specs(), { corral: { console: "debian" } });
    // The ephemeral default console goes; User Docker is not stopped.
    expect(engine.events).toEqual([
      "stop console",
      "remove console",
      "create console-debian",
      "start console-debian",
    ]);
    engine.events.length = 0;
    await sup.reconcile(specs(), {});
    expect(engine.events).toEqual(["stop console-debian", "create console", "start console"]);
    expect(engine.containers.has("console-debian")).toBe(true);
    engine.events.length = 0;
    await sup.reconcile(specs(), { corral: { console: "debian" } });
    // The kept container is started again, not made anew: what was installed in it is there.
    expect(engine.events).toEqual(["stop console", "remove console", "start console-debian"]);
    await sup.stopAll();
  });

  test("a new supervisor (the next boot) leaves a persistent console that is not chosen in place", async () => {
    const engine = new FakeEngine();
    const first = new Supervisor(engine, quiet);
    await first.reconcile(specs(), { corral: { console: "debian" } });
    await first.stopAll();
    engine.events.length = 0;
    const next = new Supervisor(engine, quiet);
    await next.reconcile(specs(), {});
    expect(engine.events).not.toContain("remove console-debian");
    expect(engine.containers.get("console-debian")?.running).toBe(false);
    await next.stopAll();
    // And the boot after: the persistent console is started as it was; the default console (and
    // only it) is made anew, as it is ephemeral; User Docker's container is reused.
    const third = new Supervisor(engine, quiet);
    await third.reconcile(specs(), {});
    await third.stopAll();
    engine.events.length = 0;
    const fourth = new Supervisor(engine, quiet);
    await fourth.reconcile(specs(), {});
    expect(engine.events.toSorted()).toEqual([
      "create console",
      "remove console",
      "start console",
      "start user-docker",
    ]);
    engine.events.length = 0;
    await fourth.stopAll();
    const fifth = new Supervisor(engine, quiet);
    await fifth.reconcile(specs(), { corral: { console: "debian" } });
    expect(engine.events.filter((e) => e.includes("debian"))).toEqual(["start console-debian"]);
    await fifth.stopAll();
  });

  test("the boot's console is pinned at the first reconcile; enable changes only the next boot", () => {
    const root = mkdtempSync(join(tmpdir(), "corral-console-"));
    expect(withBootConsole(root, { corral: { console: "debian" } }).corral?.console).toBe("debian");
    expect(readFileSync(join(root, consolePinPath), "utf8")).toBe("debian\n");
    // `corral console enable default` then a reconcile: still debian until the next boot.
    expect(withBootConsole(root, {}).corral?.console).toBe("debian");
    pinConsole(join(root, consolePinPath), "default"); // `corral console switch default`
    expect(withBootConsole(root, { corral: { console: "debian" } }).corral?.console).toBe("default");
  });
});
