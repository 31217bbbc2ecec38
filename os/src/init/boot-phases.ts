import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger, sleep } from "@corral/lib";
import {
  applyEnvironment,
  applyHostname,
  applyMounts,
  applySshKeys,
  applyWriteFiles,
  ensureConsoleUser,
  runCommands,
} from "../cloud-init/apply.ts";
import { probeDatasources } from "../cloud-init/datasources.ts";
import { metadataKeys, saveFound } from "../cloud-init/save.ts";
import { type Cmdline, parseCmdline } from "../config/cmdline.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { configPaths } from "../config/defaults.ts";
import { loadConfig } from "../config/load-config.ts";
import type { EngineInfo } from "../engines/catalog.ts";
import { ensureDockerTls } from "../engines/docker-tls.ts";
import { bootEngine } from "../engines/engine-control.ts";
import { withEngine } from "../engines/engine-spec.ts";
import { readMissingCapabilities } from "../services/capabilities.ts";
import { DaemonKeeper, type KeeperHooks } from "../services/daemon-keeper.ts";
import { DockerodeEngine } from "../services/dockerode-engine.ts";
import { isEnabled } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import { imageOrder } from "../services/service-order.ts";
import type { ServiceSpec } from "../services/service-schema.ts";
import { describeStatus, type ServiceStatus } from "../services/service-status.ts";
import { Supervisor } from "../services/supervisor.ts";
import {
  ImageLoader,
  type ImageLoadPlan,
  type SystemDocker,
  startSystemDocker,
  systemDockerPaths,
} from "../services/system-docker.ts";
import type { Host } from "../system/host.ts";
import { hotplugHandler, UeventWatcher } from "../system/hotplug.ts";
import { applySysctl, loadModules } from "../system/kernel.ts";
import { doMounts, earlyMounts } from "../system/mounts.ts";
import { earlyDhcp, listInterfaces, needsNetwork, setupNetwork } from "../system/network.ts";
import { proxyEnv } from "../system/proxy.ts";
import { setupState } from "../system/state.ts";
import { applyDebug, type BootFlags, bootFlags, RecoveryRequested } from "./boot-flags.ts";
import { shippedConsoles, withBootConsole } from "./console-pin.ts";
import { rebuildConsoleIfAsked } from "./console-rebuild.ts";
import type { ConsoleOut, Phase } from "./phases.ts";
import { persistentBootLogPath, type Timeline } from "./timeline.ts";

/** Where the image ships its system images and service definitions. */
export const shipped = { images: "/usr/share/corral/images", services: "/usr/share/corral/system-services" };

/**
 * Retries `probe` every 100 ms until it resolves (true), or `limitMs` has passed or `signal` is
 * aborted (false).
 */
export async function pollUntil(
  probe: () => Promise<unknown>,
  limitMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end && !signal?.aborted) {
    try {
      await probe();
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

/** What the phases share while booting. */
export interface BootContext {
  host: Host;
  out: ConsoleOut;
  timeline: Timeline;
  cmdline?: Cmdline;
  config: CorralConfig;
  /** Starts System Docker, and restarts it whenever it exits. */
  systemDocker?: DaemonKeeper<SystemDocker>;
  /** Loads the shipped images in the background from the System Docker phase on. */
  images?: ImageLoader;
  supervisor?: Supervisor;
  warnings: string[];
  /** `corral.debug` and `corral.recovery` from the command line (and debug from config). */
  flags?: BootFlags;
  /** Kernel uevents after the network phase: hot-plugged NICs configured, disks reported. */
  hotplug?: UeventWatcher;
  /** The engine User Docker runs on (chosen at the first reconcile, changed by `corral engine switch`). */
  engine?: EngineInfo;
}

/** How long the boot waits for system services to settle before leaving them to start on their own. */
const servicesWaitMs = 240_000;

const log = createLogger("init");

function warn(ctx: BootContext, list: string[], what: string) {
  for (const w of list) {
    ctx.warnings.push(`${what}: ${w}`);
    ctx.out.write(`  warning: ${what}: ${w}\n`);
  }
}

/** Runs a user-data script once per content (RancherOS ran it at every boot from the console; once is safer). */
async function runScriptOnce(ctx: BootContext, text: string): Promise<void> {
  const conf = join(ctx.host.root, configPaths.confDir);
  const script = join(conf, "cloud-config-script");
  const marker = join(conf, `.script-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.done`);
  writeFileSync(script, text);
  chmodSync(script, 0o700);
  if (existsSync(marker)) return;
  warn(
    ctx,
    await runCommands(ctx.host, [[join(configPaths.confDir, "cloud-config-script")]]),
    "user-data script",
  );
  writeFileSync(marker, "");
}

/**
 * Re-reads config and services and makes System Docker match (boot, `corral service up`, config
 * changes). User Docker runs on the engine chosen at boot (or by `corral engine switch`): a changed
 * corral.docker.engine alone waits for the next boot, as `corral engine enable` promises.
 */
export async function reconcileServices(ctx: BootContext): Promise<ServiceStatus[]> {
  ctx.config = withBootConsole(ctx.host.root, loadConfig({ root: ctx.host.root }));
  if (!ctx.engine && ctx.supervisor) {
    ctx.engine = await bootEngine(ctx.host.root, ctx.config, ctx.systemDocker?.current?.docker, (w) =>
      warn(ctx, [w], "user docker"),
    );
  }
  warn(ctx, ensureDockerTls(ctx.host.root, ctx.config), "user docker tls");
  const specs = loadServiceDir(join(ctx.host.root, shipped.services));
  return (
    (await ctx.supervisor?.reconcile(ctx.engine ? withEngine(specs, ctx.engine) : specs, ctx.config)) ?? []
  );
}

/** The images of the consoles not running: loaded only when switched to (they can be large). */
function lazyImages(specs: readonly ServiceSpec[], config: CorralConfig): string[] {
  return specs.filter((s) => s.console !== undefined && !isEnabled(s, config)).map((s) => s.image);
}

/**
 * Loads the shipped images into System Docker in the background. User Docker's image first and
 * alone: users, the agent and the server all wait on it, and on 2 slow CPUs any other image
 * loading beside its start delays it by seconds.
 */
function loadShippedImages(
  ctx: BootContext,
  docker: SystemDocker["docker"],
  specs: ServiceSpec[],
): ImageLoader {
  const userDocker = specs.find((s) => s.name === "user-docker" && isEnabled(s, ctx.config));
  const plan: ImageLoadPlan = { order: imageOrder(specs, ctx.config), lazy: lazyImages(specs, ctx.config) };
  if (userDocker && ctx.supervisor) {
    plan.urgent = [userDocker.image];
    plan.restAfter = ctx.supervisor.whenSettled(userDocker.name);
  }
  return new ImageLoader(docker, join(ctx.host.root, shipped.images), plan);
}

/**
 * PID 1's System Docker: started once here (a failure fails the phase), restarted whenever it
 * exits. While it is away the supervisor holds its services; once it is back, images it lost are
 * loaded again and the services are reconciled.
 */
function keepSystemDocker(ctx: BootContext): DaemonKeeper<SystemDocker> {
  const hooks: KeeperHooks<SystemDocker> = {
    lost: (code) => {
      ctx.out.write(`System Docker exited with code ${code}; restarting it\n`);
      ctx.supervisor?.engineLost();
    },
    back: async (daemon) => {
      ctx.out.write("System Docker is back; reconciling system services\n");
      const specs = loadServiceDir(join(ctx.host.root, shipped.services));
      ctx.images = new ImageLoader(daemon.docker, join(ctx.host.root, shipped.images), {
        order: imageOrder(specs, ctx.config),
        lazy: lazyImages(specs, ctx.config),
      });
      ctx.supervisor?.engineBack();
      await reconcileServices(ctx);
    },
  };
  return new DaemonKeeper(
    () =>
      startSystemDocker(systemDockerPaths, {
        env: proxyEnv(ctx.config),
        extraArgs: ctx.flags?.debug ? ["--debug"] : [],
      }),
    hooks,
    {
      log: createLogger("system-docker"),
    },
  );
}

/** The services not (yet) up after the boot's reconcile, one line each, for the console. */
function notUp(status: readonly ServiceStatus[]): string[] {
  const up = new Set(["running", "completed", "created", "exited"]);
  return status
    .filter((s) => !up.has(s.state) || s.health === "unhealthy")
    .map((s) => `${s.name}: ${describeStatus(s)}`);
}

/** The boot phases, in order. Each reads what the previous ones left in the context. */
export function bootPhases(): Phase<BootContext>[] {
  return [
    { name: "mounts", run: async (ctx) => void (await doMounts(ctx.host, earlyMounts(ctx.host))) },
    {
      name: "kernel command line",
      run: async (ctx) => {
        const text = readFileSync(join(ctx.host.root, "proc/cmdline"), "utf8");
        ctx.cmdline = parseCmdline(text);
        // Read before the config, so debug logging is on even when the config then fails.
        ctx.flags = bootFlags(ctx.cmdline, {});
        applyDebug(ctx.flags);
        // Early view of the config (defaults, OEM, cmdline): the state and datasources come from it.
        ctx.config = loadConfig({ root: ctx.host.root, cmdline: text });
        ctx.flags = bootFlags(ctx.cmdline, ctx.config);
        applyDebug(ctx.flags);
        if (ctx.flags.debug) ctx.out.write("  debug logging on (corral.debug)\n");
      },
    },
    {
      name: "state partition",
      timeoutMs: 600_000,
      run: async (ctx) => {
        const r = await setupState(ctx.host, ctx.config);
        ctx.out.write(
          r.mode === "ram"
            ? "  no state partition: running from RAM\n"
            : `  state on ${r.device}${r.formatted ? " (formatted)" : ""}\n`,
        );
        if (r.mode === "disk") ctx.timeline.persistTo(join(ctx.host.root, persistentBootLogPath));
        mkdirSync(join(ctx.host.root, configPaths.dropInDir), { recursive: true, mode: 0o700 });
      },
    },
    { name: "modules", run: (ctx) => loadModules(ctx.host, ctx.config) },
    {
      // The GRUB "recovery console" entries pass corral.recovery=true: a shell with the state
      // partition mounted (configs in /var/lib/corral/conf), before any datasource or service.
      name: "recovery",
      run: async (ctx) => {
        if (ctx.flags?.recovery) throw new RecoveryRequested();
      },
    },
    {
      name: "cloud-init",
      // `*` and network datasources are retried for up to 5 minutes (RancherOS's cap), then given up.
      timeoutMs: 330_000,
      run: async (ctx) => {
        const datasources = ctx.config.corral?.cloud_init?.datasources ?? [];
        if (needsNetwork(datasources, ctx.cmdline?.cloudConfigUrl))
          warn(ctx, await earlyDhcp(ctx.host, ctx.config, listInterfaces(ctx.host.root)), "network");
        const found = await probeDatasources(ctx.host, datasources, ctx.cmdline?.cloudConfigUrl);
        if (!found) return;
        ctx.out.write(`  user-data from ${found.source} (${found.data?.kind ?? "none, metadata only"})\n`);
        warn(ctx, saveFound(ctx.host.root, found), "datasource");
        if (found.data?.kind === "script") await runScriptOnce(ctx, found.data.text);
      },
    },
    {
      name: "config merge",
      run: async (ctx) => {
        ctx.config = loadConfig({ root: ctx.host.root });
        const c = ctx.config;
        ensureConsoleUser(ctx.host.root);
        if (c.hostname) await applyHostname(ctx.host, c.hostname);
        applySshKeys(ctx.host.root, [...(c.ssh_authorized_keys ?? []), ...metadataKeys(ctx.host.root)]);
        warn(ctx, applyWriteFiles(ctx.host.root, c.write_files ?? []), "write_files skipped");
        applySysctl(ctx.host, c);
        applyEnvironment(ctx.host.root, c);
        await applyMounts(ctx.host, c.mounts ?? []);
        warn(ctx, await runCommands(ctx.host, c.bootcmd ?? []), "bootcmd");
      },
    },
    {
      name: "network",
      run: async (ctx) => {
        const links = listInterfaces(ctx.host.root);
        // Listening before configuring: a NIC that appears from now on is configured when it does.
        ctx.hotplug = new UeventWatcher(
          hotplugHandler(
            ctx.host,
            () => ctx.config,
            links,
            (l) => ctx.out.write(`  hotplug: ${l}\n`),
          ),
        );
        warn(ctx, await setupNetwork(ctx.host, ctx.config, links), "network");
      },
    },
    {
      name: "System Docker",
      run: async (ctx) => {
        ctx.systemDocker = keepSystemDocker(ctx);
        const daemon = await ctx.systemDocker.begin();
        ctx.timeline.milestone("system-docker-ready");
        const ready = new Set<string>();
        ctx.supervisor = new Supervisor(new DockerodeEngine(systemDockerPaths.socket), {
          missingCaps: readMissingCapabilities(),
          // Read at each start: after a System Docker restart a new loader replaces this one.
          imageReady: (image) => ctx.images?.ready(image) ?? Promise.resolve(),
          // `user-docker-ready` (its health check passed) is the boot's headline figure.
          onReady: (name) => {
            if (!ready.has(name)) ctx.timeline.milestone(`${name}-ready`);
            ready.add(name);
          },
        });
        const specs = loadServiceDir(join(ctx.host.root, shipped.services));
        ctx.images = loadShippedImages(ctx, daemon.docker, specs);
      },
    },
    {
      name: "system services",
      timeoutMs: 300_000,
      run: async (ctx) => {
        const images = ctx.images;
        // Only at boot: asked on a running machine, the console goes at the next boot, as in RancherOS.
        const rebuild = await rebuildConsoleIfAsked(
          ctx.host.root,
          ctx.config,
          shippedConsoles(join(ctx.host.root, shipped.services)),
          (name) => new DockerodeEngine(systemDockerPaths.socket).remove(name),
        );
        if (rebuild.done) ctx.out.write(`${rebuild.done}\n`);
        if (rebuild.warning) warn(ctx, [rebuild.warning], "console");
        // A service that fails is retried in the background, never a reason for the recovery
        // console: the boot goes on, saying which services are not up (yet).
        const reconciled = reconcileServices(ctx);
        const waited = new AbortController();
        const status = await Promise.race([
          reconciled,
          sleep(servicesWaitMs, waited.signal).then(() => ctx.supervisor?.status() ?? []),
        ]).finally(() => waited.abort());
        reconciled.catch((e: unknown) => log.error("reconcile failed", { error: e }));
        warn(ctx, notUp(status), "system service");
        warn(ctx, await runCommands(ctx.host, ctx.config.runcmd ?? []), "runcmd");
        // Images no enabled service uses are still loaded (for `corral service enable`); a failure
        // there is a warning, the services that needed an image have it in their status.
        const loaded = await images?.done.catch((e: unknown) => {
          warn(ctx, [e instanceof Error ? e.message : String(e)], "images");
          return [];
        });
        if (loaded?.length) ctx.out.write(`  loaded ${loaded.join(", ")}\n`);
      },
    },
  ];
}
