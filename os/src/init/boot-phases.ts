import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "@corral/lib";
import Docker from "dockerode";
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
import { type Cmdline, parseCmdline } from "../config/cmdline.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { configPaths } from "../config/defaults.ts";
import { loadConfig, parseConfigText } from "../config/load-config.ts";
import { readMissingCapabilities } from "../services/capabilities.ts";
import { DockerodeEngine } from "../services/dockerode-engine.ts";
import { isEnabled } from "../services/service-config.ts";
import { loadServiceDir } from "../services/service-file.ts";
import { imageOrder } from "../services/service-order.ts";
import { Supervisor } from "../services/supervisor.ts";
import {
  ImageLoader,
  type SystemDocker,
  startSystemDocker,
  systemDockerPaths,
} from "../services/system-docker.ts";
import type { Host } from "../system/host.ts";
import { applySysctl, loadModules } from "../system/kernel.ts";
import { doMounts, earlyMounts } from "../system/mounts.ts";
import { setupNetwork } from "../system/network.ts";
import { setupState } from "../system/state.ts";
import type { ConsoleOut, Phase } from "./phases.ts";
import { persistentBootLogPath, type Timeline } from "./timeline.ts";

/** Where the image ships its system images and service definitions. */
export const shipped = { images: "/usr/share/corral/images", services: "/usr/share/corral/system-services" };

/** Where User Docker answers (users' `docker`, the agent and the server use it). */
export const userDockerSocket = "/var/run/docker.sock";

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

/** Resolves when the Docker engine on `socket` answers a ping, or after `limitMs` regardless. */
export async function untilAnswers(socket: string, limitMs: number): Promise<void> {
  const docker = new Docker({ socketPath: socket });
  await pollUntil(() => docker.ping(), limitMs);
}

/** What the phases share while booting. */
export interface BootContext {
  host: Host;
  out: ConsoleOut;
  timeline: Timeline;
  cmdline?: Cmdline;
  config: CorralConfig;
  systemDocker?: SystemDocker;
  /** Loads the shipped images in the background from the System Docker phase on. */
  images?: ImageLoader;
  supervisor?: Supervisor;
  warnings: string[];
}

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

/** Re-reads config and services and makes System Docker match (boot, `corral service up`, config changes). */
export async function reconcileServices(ctx: BootContext): Promise<void> {
  ctx.config = loadConfig({ root: ctx.host.root });
  await ctx.supervisor?.reconcile(loadServiceDir(join(ctx.host.root, shipped.services)), ctx.config);
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
        // Early view of the config (defaults, OEM, cmdline): the state and datasources come from it.
        ctx.config = loadConfig({ root: ctx.host.root, cmdline: text });
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
      name: "cloud-init",
      timeoutMs: 300_000,
      run: async (ctx) => {
        const found = await probeDatasources(
          ctx.host,
          ctx.config.corral?.cloud_init?.datasources ?? [],
          ctx.cmdline?.cloudConfigUrl,
        );
        if (!found) return;
        ctx.out.write(`  user-data from ${found.source} (${found.data.kind})\n`);
        if (found.data.kind === "cloud-config") {
          // Validated here so a bad datasource is reported with its own name, not as boot.yml.
          parseConfigText(found.data.text, found.source);
          writeFileSync(join(ctx.host.root, configPaths.dropInDir, "boot.yml"), found.data.text, {
            mode: 0o600,
          });
        } else if (found.data.kind === "script") {
          await runScriptOnce(ctx, found.data.text);
        }
      },
    },
    {
      name: "config merge",
      run: async (ctx) => {
        ctx.config = loadConfig({ root: ctx.host.root });
        const c = ctx.config;
        ensureConsoleUser(ctx.host.root);
        if (c.hostname) await applyHostname(ctx.host, c.hostname);
        applySshKeys(ctx.host.root, c.ssh_authorized_keys ?? []);
        warn(ctx, applyWriteFiles(ctx.host.root, c.write_files ?? []), "write_files skipped");
        applySysctl(ctx.host, c);
        applyEnvironment(ctx.host.root, c);
        await applyMounts(ctx.host, c.mounts ?? []);
        warn(ctx, await runCommands(ctx.host, c.bootcmd ?? []), "bootcmd");
      },
    },
    { name: "network", run: async (ctx) => warn(ctx, await setupNetwork(ctx.host, ctx.config), "network") },
    {
      name: "System Docker",
      run: async (ctx) => {
        ctx.systemDocker = await startSystemDocker(systemDockerPaths);
        ctx.timeline.milestone("system-docker-ready");
        // User Docker's image first and alone: users, the agent and the server all wait on it, and
        // on 2 slow CPUs any other image loading beside its start delays it by seconds.
        const specs = loadServiceDir(join(ctx.host.root, shipped.services));
        const userDocker = specs.find((s) => s.name === "user-docker" && isEnabled(s, ctx.config));
        ctx.images = new ImageLoader(ctx.systemDocker.docker, join(ctx.host.root, shipped.images), {
          order: imageOrder(specs, ctx.config),
          urgent: userDocker ? [userDocker.image] : [],
          restAfter: userDocker ? untilAnswers(userDockerSocket, 60_000) : undefined,
        });
      },
    },
    {
      name: "system services",
      timeoutMs: 300_000,
      run: async (ctx) => {
        const images = ctx.images;
        ctx.supervisor = new Supervisor(new DockerodeEngine(systemDockerPaths.socket), {
          missingCaps: readMissingCapabilities(),
          imageReady: (image) => images?.ready(image) ?? Promise.resolve(),
        });
        await reconcileServices(ctx);
        warn(ctx, await runCommands(ctx.host, ctx.config.runcmd ?? []), "runcmd");
        // Images no enabled service uses are still loaded (for `corral service enable`); a failure
        // there is a warning, the services that needed an image have already failed on it.
        const loaded = await images?.done.catch((e: unknown) => {
          warn(ctx, [e instanceof Error ? e.message : String(e)], "images");
          return [];
        });
        if (loaded?.length) ctx.out.write(`  loaded ${loaded.join(", ")}\n`);
      },
    },
  ];
}
