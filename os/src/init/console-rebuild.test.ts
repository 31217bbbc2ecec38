import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc } from "../../testing/services.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { loadConfig } from "../config/load-config.ts";
import { saveUserConfig } from "../config/user-config.ts";
import { Supervisor } from "../services/supervisor.ts";
import { rebuildConsoleIfAsked } from "./console-rebuild.ts";

const consoles = [
  svc("console", "console: default"),
  svc("console-debian", "console: debian\npersistent: true"),
];

/** A root whose cloud-config.yml holds `doc` (as a user or `corral config set` wrote it). */
function rootWith(doc: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "corral-console-rebuild-"));
  saveUserConfig(root, doc);
  return root;
}

const userFile = (root: string) => readFileSync(join(root, "var/lib/corral/conf/cloud-config.yml"), "utf8");

describe("force_console_rebuild", () => {
  test("the persistent console's container goes once, and the switch is set back to false", async () => {
    const root = rootWith({ rancher: { console: "debian", force_console_rebuild: true } });
    const removed: string[] = [];
    const config = loadConfig({ root });
    const r = await rebuildConsoleIfAsked(root, config, consoles, async (n) => void removed.push(n));
    expect(removed).toEqual(["console-debian"]);
    expect(r).toEqual({ done: "the debian console is made anew from its image (force_console_rebuild)" });
    expect(loadConfig({ root }).corral?.force_console_rebuild).toBe(false);
    // The rest of the user's config is kept (RancherOS's rancher: key is read as corral:).
    expect(loadConfig({ root }).corral?.console).toBe("debian");
    // The next boot does nothing.
    expect(
      await rebuildConsoleIfAsked(root, loadConfig({ root }), consoles, async (n) => void removed.push(n)),
    ).toEqual({});
    expect(removed).toEqual(["console-debian"]);
  });

  test("unset or false: nothing removed, the config file untouched", async () => {
    for (const doc of [
      { corral: { console: "debian" } },
      { corral: { console: "debian", force_console_rebuild: false } },
    ]) {
      const root = rootWith(doc);
      const before = userFile(root);
      const removed: string[] = [];
      expect(
        await rebuildConsoleIfAsked(root, loadConfig({ root }), consoles, async (n) => void removed.push(n)),
      ).toEqual({});
      expect(removed).toEqual([]);
      expect(userFile(root)).toBe(before);
    }
  });

  test("an ephemeral console is made anew at each boot anyway: only the switch is reset", async () => {
    const root = rootWith({ corral: { force_console_rebuild: true } });
    const removed: string[] = [];
    expect(
      await rebuildConsoleIfAsked(root, loadConfig({ root }), consoles, async (n) => void removed.push(n)),
    ).toEqual({ done: "the default console is made anew at every boot (force_console_rebuild set back)" });
    expect(removed).toEqual([]);
    expect(loadConfig({ root }).corral?.force_console_rebuild).toBe(false);
  });

  test("a removal that fails is a warning and keeps the switch for the next boot", async () => {
    const root = rootWith({ corral: { console: "debian", force_console_rebuild: true } });
    const r = await rebuildConsoleIfAsked(root, loadConfig({ root }), consoles, async () => {
      throw new Error("System Docker is not running");
    });
    expect(r.warning).toBe(
      "force_console_rebuild: cannot remove the debian console's container: System Docker is not running",
    );
    expect(r.done).toBeUndefined();
    expect(loadConfig({ root }).corral?.force_console_rebuild).toBe(true);
  });

  test("with the supervisor: a kept persistent console is made anew from its image once, then kept again", async () => {
    const engine = new FakeEngine();
    const config: CorralConfig = { corral: { console: "debian" } };
    // First boot: the console is created; later boots find it and keep it (its rootfs stays).
    const boot = async (cfg: CorralConfig) => {
      const sup = new Supervisor(engine, quiet);
      await sup.reconcile(consoles, cfg);
      await sup.stopAll();
    };
    await boot(config);
    await boot(config);
    const creates = () => engine.events.filter((e) => e === "create console-debian").length;
    expect(creates()).toBe(1);
    const root = rootWith({ corral: { console: "debian", force_console_rebuild: true } });
    await rebuildConsoleIfAsked(root, loadConfig({ root }), consoles, (n) => engine.remove(n));
    await boot(loadConfig({ root }));
    expect(creates()).toBe(2);
    await boot(loadConfig({ root }));
    expect(creates()).toBe(2);
  });
});
