// PID 1's wiring of the health gate: what "healthy" means on a booted CorralOS (every enabled
// system service up, those with a health check healthy, User Docker among them; the agent
// connected when one is configured; the user's corral.upgrade.health commands passing).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCommands } from "../cloud-init/apply.ts";
import type { BootContext } from "../init/boot-phases.ts";
import { readUptimeMs } from "../init/timeline.ts";
import { describeStatus } from "../services/service-status.ts";
import { bootedSlot, findLayout, readBootEnv, runningVersion, setBootEnv } from "./disk.ts";
import { type GateResult, gateBoot } from "./health-gate.ts";

/** The default deadline, in seconds after kernel start. */
export const defaultHealthTimeoutS = 300;

const upStates = new Set(["running", "completed", "created", "exited"]);

/** What keeps this boot from being healthy; empty when nothing does. */
export async function bootProblems(ctx: BootContext): Promise<string[]> {
  const sup = ctx.supervisor;
  if (!sup) return ["system services not started"];
  const status = sup.status();
  const problems = status
    .filter((s) => !upStates.has(s.state) || (s.health !== undefined && s.health !== "healthy"))
    .map((s) => `${s.name}: ${describeStatus(s)}`);
  if (!status.some((s) => s.name === "user-docker")) problems.push("user-docker: not among the services");
  const agent = ctx.config.corral?.agent;
  if (agent?.url && !existsSync(join(ctx.host.root, "var/lib/corral/agent/connected")))
    problems.push(`agent: not connected to ${agent.url}`);
  if (problems.length > 0) return problems;
  const health = ctx.config.corral?.upgrade?.health ?? [];
  return (await runCommands(ctx.host, health)).map((e) => `health command: ${e}`);
}

/** What PID 1 tells the gate about the boot in progress. */
export interface GateHooks {
  /** Resolves once the config is merged and the state partition mounted (or the boot gave up). */
  ready(): Promise<void>;
  /** Why the boot failed (a phase), or undefined while it has not. */
  bootFailure(): string | undefined;
  reboot(): void;
}

/**
 * Runs the gate for this boot (see health-gate.ts), beside the boot phases: its deadline holds even
 * when a phase of a broken slot takes long or fails.
 */
export async function runBootGate(ctx: BootContext, hooks: GateHooks): Promise<GateResult> {
  await hooks.ready();
  const layout = findLayout(ctx.host);
  const booted = layout ? bootedSlot(ctx.host) : undefined;
  return gateBoot({
    root: ctx.host.root,
    booted,
    recovery: ctx.config.corral?.recovery === true,
    readEnv: () => readBootEnv(ctx.host, layout!),
    activate: (slot) => setBootEnv(ctx.host, layout!, { corral_active: slot, corral_try: "" }),
    problems: async () => {
      const failed = hooks.bootFailure();
      return failed ? [failed] : bootProblems(ctx);
    },
    stateReady: async () => {},
    version: runningVersion(ctx.host),
    deadlineS: ctx.config.corral?.upgrade?.health_timeout ?? defaultHealthTimeoutS,
    uptimeS: () => readUptimeMs(join(ctx.host.root, "proc")) / 1000,
    reboot: hooks.reboot,
    log: (line) => ctx.out.write(line),
    sleep: (ms) => Bun.sleep(ms),
  });
}
