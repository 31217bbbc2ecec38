import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../../testing/fake-engine.ts";
import { quiet, svc, until } from "../../testing/services.ts";
import { type Daemon, DaemonKeeper } from "./daemon-keeper.ts";
import { Supervisor } from "./supervisor.ts";

/** A daemon the test ends: `exit(code)` as if the process died, `stop` as a clean shutdown. */
class FakeDaemon implements Daemon {
  readonly exited: Promise<number>;
  exit: (code: number) => void = () => {};
  stopped = false;
  constructor(readonly n: number) {
    this.exited = new Promise((resolve) => {
      this.exit = resolve;
    });
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.exit(0);
  }
}

/** Starts numbered fake daemons; the next `failures` starts throw. */
function starter() {
  const daemons: FakeDaemon[] = [];
  const s = {
    daemons,
    failures: 0,
    start: async () => {
      if (s.failures > 0) {
        s.failures--;
        throw new Error("dockerd did not answer");
      }
      const d = new FakeDaemon(daemons.length + 1);
      daemons.push(d);
      return d;
    },
  };
  return s;
}

const fast = { backoffBaseMs: 5, backoffMaxMs: 10, log: quiet.log };

describe("daemon keeper (System Docker)", () => {
  test("an exit is noticed and the daemon restarted, failed starts retried, hooks told", async () => {
    const s = starter();
    const events: string[] = [];
    const keeper = new DaemonKeeper(
      s.start,
      {
        lost: (code) => void events.push(`lost ${code}`),
        back: (d) => void events.push(`back ${d.n}`),
      },
      fast,
    );
    expect((await keeper.begin()).n).toBe(1);
    s.failures = 2;
    s.daemons[0]!.exit(2);
    await until(() => events.length === 2);
    expect(events).toEqual(["lost 2", "back 2"]);
    expect(keeper.current?.n).toBe(2);
    s.daemons[1]!.exit(137);
    await until(() => events.length === 4);
    expect(keeper.restarts).toBe(2);
    await keeper.stop();
    expect(s.daemons[2]?.stopped).toBe(true);
    expect(events).toEqual(["lost 2", "back 2", "lost 137", "back 3"]);
  });

  test("the first start's failure is the caller's; a stopped daemon is not brought back", async () => {
    const s = starter();
    s.failures = 1;
    const events: string[] = [];
    const hooks = { lost: () => void events.push("lost"), back: () => void events.push("back") };
    const keeper = new DaemonKeeper(s.start, hooks, fast);
    await expect(keeper.begin()).rejects.toThrow("dockerd did not answer");
    await keeper.begin();
    await keeper.stop();
    expect(s.daemons[0]?.stopped).toBe(true);
    expect(events).toEqual([]);
    expect(s.daemons.length).toBe(1);
  });

  test("a shutdown during a restart stops the daemon that was starting", async () => {
    const s = starter();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let starts = 0;
    const keeper = new DaemonKeeper(
      async () => {
        if (starts++ > 0) await gate;
        return s.start();
      },
      { lost: () => {}, back: () => {} },
      fast,
    );
    await keeper.begin();
    s.daemons[0]!.exit(1);
    await until(() => starts === 2);
    const stopping = keeper.stop();
    release();
    await stopping;
    await until(() => s.daemons[1]?.stopped === true);
    expect(keeper.restarts).toBe(0);
  });

  test("with the supervisor: services wait while it is away and run again, reconciled, when it is back", async () => {
    const engine = new FakeEngine();
    const sup = new Supervisor(engine, quiet);
    const specs = [
      svc("user-docker", ""),
      svc("agent", "after: [user-docker]"),
      svc("ntp", "restart: on-failure"),
    ];
    const s = starter();
    const keeper = new DaemonKeeper(
      async () => {
        engine.revive();
        return s.start();
      },
      {
        lost: () => sup.engineLost(),
        back: async () => {
          sup.engineBack();
          await sup.reconcile(specs, {});
        },
      },
      fast,
    );
    await keeper.begin();
    await sup.reconcile(specs, {});
    engine.vanish();
    s.daemons[0]!.exit(137);
    await until(() => keeper.restarts === 1 && sup.status().every((st) => st.state === "running"));
    expect(specs.map((sp) => engine.starts(sp.name))).toEqual([2, 2, 2]);
    await sup.stopAll();
    await keeper.stop();
  });
});
