import { chmodSync, chownSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@corral/lib";
import { consoleUser } from "../cloud-init/apply.ts";
import { runInstallRequest } from "../install/install.ts";
import { chosenConsole } from "../services/service-config.ts";
import { realHost } from "../system/host.ts";
import { runBootGate } from "../upgrade/boot-gate.ts";
import { osList, osRollback, osStatus, osUpgrade } from "../upgrade/upgrade.ts";
import { type BootContext, bootPhases, pollUntil, reconcileServices, shipped } from "./boot-phases.ts";
import { chooseConsole, consolePinPath, consoleState, readPinnedConsole } from "./console-pin.ts";
import { initSocketPath, serveControl } from "./control-socket.ts";
import { configHandlers, engineHandlers } from "./engine-handlers.ts";
import { type ConsoleOut, runPhases } from "./phases.ts";
import { type PowerAction, rebootNow, shutdown } from "./power.ts";
import { Reaper } from "./reaper.ts";
import { consoleShell, recoveryConsole } from "./recovery.ts";
import { bootLogPath, Timeline } from "./timeline.ts";

/** The console: /dev/console when PID 1 (nothing else is attached), stderr otherwise. */
function openConsole(): ConsoleOut {
  if (process.pid === 1) {
    try {
      const fd = openSync("/dev/console", "w");
      return { write: (t) => void writeSync(fd, t) };
    } catch {}
  }
  return { write: (t) => void process.stderr.write(t) };
}

/** Notes a milestone when a socket or URL first answers, for the boot benchmark. */
async function watchReady(
  timeline: Timeline,
  name: string,
  probe: () => Promise<unknown>,
  limitMs = 300_000,
  signal?: AbortSignal,
): Promise<void> {
  if (await pollUntil(probe, limitMs, signal)) timeline.milestone(name);
}

/** `corral init`: PID 1 of CorralOS. Never returns while PID 1; returns an exit code otherwise. */
export async function runInit(_argv: string[]): Promise<number> {
  const out = openConsole();
  const timeline = new Timeline(bootLogPath);
  timeline.milestone("pid1");
  out.write(`CorralOS init (pid ${process.pid})\n`);
  const reaper = new Reaper();
  reaper.start(1000);
  const ctx: BootContext = { host: realHost("/"), out, timeline, config: {}, warnings: [] };
  const stopping = new AbortController();
  const log = createLogger("init");

  const power = async (action: PowerAction) => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    await shutdown(action, {
      stopServices: async () => ctx.supervisor?.stopAll(),
      stopSystemDocker: async () => ctx.systemDocker?.stop(),
      killAll: (sig) => {
        if (process.pid === 1) process.kill(-1, sig);
      },
      sync: () => {},
      unmountAll: async () => {
        await ctx.host.run("umount", ["-a", "-r"]).catch(() => "");
      },
      reboot: (a) => (process.pid === 1 ? rebootNow(a) : process.exit(0)),
      log: (t) => out.write(t),
    });
  };
  // busybox init conventions: SIGTERM reboot, SIGUSR2 poweroff, SIGUSR1 halt, SIGINT (Ctrl-Alt-Del) reboot.
  process.on("SIGTERM", () => void power("reboot"));
  process.on("SIGINT", () => void power("reboot"));
  process.on("SIGUSR2", () => void power("poweroff"));
  process.on("SIGUSR1", () => void power("halt"));

  const control = serveControl(initSocketPath, {
    status: () => ctx.supervisor?.status() ?? [],
    reconcile: async () => {
      await reconcileServices(ctx);
      return ctx.supervisor?.status() ?? [];
    },
    power: (a) => void power(a),
    console: {
      state: () =>
        consoleState(
          ctx.host.root,
          join(ctx.host.root, shipped.services),
          readPinnedConsole(join(ctx.host.root, consolePinPath)) ?? chosenConsole(ctx.config),
        ),
      choose: ({ name, now }) => {
        chooseConsole(ctx.host.root, join(ctx.host.root, shipped.services), name, now);
        // After answering: stopping the current console ends the caller's session.
        if (now)
          setTimeout(
            () =>
              void reconcileServices(ctx).catch((e: unknown) =>
                log.error("console switch failed", { error: e }),
              ),
            50,
          );
      },
    },
    install: (req) => runInstallRequest(ctx.host, (t) => out.write(t), req),
    os: {
      status: () => osStatus(ctx.host),
      list: (channel) => osList(channel ?? ctx.config.corral?.upgrade?.url),
      upgrade: (req, log) => osUpgrade(ctx.host, req, log, ctx.config.corral?.upgrade?.url),
      rollback: (log) => osRollback(ctx.host, log),
    },
    engine: engineHandlers(ctx),
    config: configHandlers(ctx),
  });
  // The console user (the machine's administrator, as RancherOS's rancher with its sudo) may
  // call PID 1: `corral os poweroff` and `corral install` from the ssh console.
  try {
    chownSync(initSocketPath, 0, consoleUser.gid);
    chmodSync(initSocketPath, 0o660);
  } catch {}
  // Watched from the start: the API answers while later services are still starting. (Services'
  // own readiness, User Docker's among them, is noted by the supervisor as `<name>-ready`.)
  // Stopped once the boot is over without a server, instead of polling out its ten minutes.
  const noApi = new AbortController();
  void watchReady(
    timeline,
    "api-ready",
    async () => {
      // The config is known only once the boot has merged it; until then (and without a server) wait.
      const server = ctx.config.corral?.server;
      if (!server?.enabled) throw new Error("no server (yet)");
      const r = await fetch(`http://127.0.0.1:${server.port ?? 8080}/ping`);
      if (!r.ok && r.status >= 500) throw new Error("not ready");
    },
    600_000,
    noApi.signal,
  );
  let finished: Awaited<ReturnType<typeof runPhases>> | undefined;
  const phases = runPhases(bootPhases(), ctx, out, timeline).then((r) => (finished = r));
  // Boot counting: a slot booted on trial becomes the active one only once healthy (upgrade/).
  // It starts once System Docker's phase is done (config merged, state mounted), not after the
  // last phase, so a broken slot whose services never settle still meets its deadline.
  void runBootGate(ctx, {
    ready: async () =>
      void (await pollUntil(async () => {
        if (!ctx.supervisor && !finished) throw new Error("booting");
      }, 3_600_000)),
    bootFailure: () =>
      finished && !finished.ok ? `boot phase '${finished.phase}' failed: ${finished.message}` : undefined,
    reboot: () => void power("reboot"),
  }).catch((e: unknown) => log.error("boot health gate failed", { error: e }));
  const result = await phases;
  if (!ctx.config.corral?.server?.enabled) noApi.abort();
  if (!result.ok) {
    log.error("boot failed", { phase: result.phase });
    await recoveryConsole(result.phase, result.message, out, consoleShell(), stopping.signal);
  } else {
    // Booting (image streams, module graphs) left garbage PID 1 will never need again: collect it
    // now, so the idle machine does not carry it.
    Bun.gc(true);
    out.write(
      `CorralOS ready (${(timeline.entries.at(-1)?.sinceKernelMs ?? 0) / 1000}s since kernel start)\n`,
    );
  }
  // PID 1 must never exit: wait until a shutdown ends the machine (or, outside PID 1, the process).
  await new Promise<void>((resolve) =>
    stopping.signal.addEventListener("abort", () => setTimeout(resolve, 60_000)),
  );
  control.stop();
  return 0;
}
